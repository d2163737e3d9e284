import Foundation
import Histogram
import RelaySandbox
import Synchronization

/// Counts what the sandbox accepted, per platform and order, without keeping receipts: distinct
/// deliveries, duplicates, the first and last acknowledgement, and (for paced runs) the latency
/// from an order's produce time to its last platform's acknowledgement.
final class DeliveryTracker: Sendable {
    static let platforms = ["meta", "google", "tiktok", "pinterest", "snapchat"]

    struct State {
        /// Receipts per platform and order index.
        var counts: [[UInt8]]
        /// Platforms that acknowledged each order (first receipts only).
        var platformsDone: [UInt8]
        var distinct: [Int]
        var duplicates = 0
        var unknown = 0
        var firstMicros: Int64 = 0
        var lastMicros: Int64 = 0
        /// Produce time per order (µs) when latency is measured; empty otherwise.
        var producedMicros: [Int64] = []
        var latency = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        /// Per platform: produce to that platform's acknowledgement.
        var platformLatency = DeliveryTracker.platforms.map { _ in
            Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        }
    }

    let orderCount: Int
    /// Platforms that must receive each order (valid, with marketing consent).
    let expected: [Bool]
    /// Expected (platform, order) pairs, counted once: the harness asks ``isComplete`` every
    /// 20 ms, and counting a 1 M-order `expected` each time was a quarter of the harness's CPU on
    /// that backlog (its cost grew with the backlog's square; benchmarks/HISTORY.md, harness round 3).
    let expectedPairs: Int
    let state: Mutex<State>

    init(orderCount: Int, expected: [Bool]) {
        self.orderCount = orderCount
        self.expected = expected
        expectedPairs = expected.lazy.filter { $0 }.count * Self.platforms.count
        state = Mutex(
            State(
                counts: Self.platforms.map { _ in [UInt8](repeating: 0, count: orderCount) },
                platformsDone: [UInt8](repeating: 0, count: orderCount), distinct: Self.platforms.map { _ in 0 }))
    }

    /// Starts measuring latency: `producedMicros[i]` is filled in by ``produced(_:atMicros:)``.
    func measureLatency() {
        state.withLock { $0.producedMicros = [Int64](repeating: 0, count: orderCount) }
    }

    func produced(_ index: Int, atMicros micros: Int64) {
        state.withLock { $0.producedMicros[index] = micros }
    }

    /// The sandbox's receipt observer.
    func observe(platform: String, receipts: [LedgerReceipt]) {
        guard let platformIndex = Self.platforms.firstIndex(of: platform) else { return }
        let now = Self.nowMicros()
        let indices = receipts.map { Self.orderIndex($0.eventID) }
        state.withLock { state in
            if state.firstMicros == 0 { state.firstMicros = now }
            state.lastMicros = now
            for index in indices {
                guard let index, index < orderCount else {
                    state.unknown += 1
                    continue
                }
                let count = state.counts[platformIndex][index]
                state.counts[platformIndex][index] = count &+ 1
                if count > 0 {
                    state.duplicates += 1
                    continue
                }
                state.distinct[platformIndex] += 1
                state.platformsDone[index] += 1
                if !state.producedMicros.isEmpty, state.producedMicros[index] > 0 {
                    _ = state.platformLatency[platformIndex].record(UInt64(max(now - state.producedMicros[index], 0)))
                }
                if Int(state.platformsDone[index]) == Self.platforms.count, !state.producedMicros.isEmpty,
                    state.producedMicros[index] > 0
                {
                    _ = state.latency.record(UInt64(max(now - state.producedMicros[index], 0)))
                }
            }
        }
    }

    var deliveredPairs: Int { state.withLock { $0.distinct.reduce(0, +) } }

    var isComplete: Bool { deliveredPairs >= expectedPairs }

    /// Expected (platform, order) pairs never received.
    func lostPairs() -> Int {
        state.withLock { state in
            var lost = 0
            for platform in Self.platforms.indices {
                for index in 0..<orderCount where expected[index] && state.counts[platform][index] == 0 { lost += 1 }
            }
            return lost
        }
    }

    /// Order ids are `ORD-<100000 + index>` (``SampleOrderGenerator``); nil for any other id
    /// (more than 18 digits, or fewer than 100000). Read from the id's bytes in place: a
    /// generic `utf8.dropFirst(4)` was most of this function's cost, asked once per event.
    static func orderIndex(_ eventID: String) -> Int? {
        var id = eventID
        return id.withUTF8 { bytes -> Int? in
            guard bytes.count > 4, bytes.count <= 4 + 18 else { return nil }
            var value = 0
            for position in 4..<bytes.count {
                let byte = bytes[position]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value >= 100_000 ? value - 100_000 : nil
        }
    }

    static func nowMicros() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000
    }
}
