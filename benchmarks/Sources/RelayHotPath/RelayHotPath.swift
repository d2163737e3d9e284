import ArgumentParser
import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayInput
import RelayService

extension InputFormat: ExpressibleByArgument {}

/// The relay's per-order preparation on one thread, nothing else: decode the order, then
/// normalise, hash and encode it for all five destinations, as `RecordPreparer` does for each
/// polled record. No Kafka, no HTTP, no threads: its instruction count (under callgrind, see
/// `make bench-hot-path`) is a deterministic figure where the end-to-end CPU time on a shared
/// machine moves by ±15 % from run to run.
@main
struct RelayHotPath: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay-hot-path", abstract: "Decode, normalise, hash and encode orders on one thread.")

    enum Stage: String, ExpressibleByArgument, CaseIterable {
        /// JSON to `OrderEvent` only.
        case decode
        /// Normalising, hashing and the five encodings of already decoded orders.
        case encode
        /// Both, as the relay does per record.
        case all
        /// Decoding (with the input mapping) alone, split over `--threads` threads as the relay's
        /// preparer splits a chunk: how a mapping scales (jq: one compiled state per thread).
        case map
    }

    @Option(help: "Threads for the map stage.")
    var threads = 1

    @Option(help: "Orders to prepare (cycling over 1,024 generated ones); 0 measures only the set-up.")
    var orders = 200_000

    @Option(help: "What to run: \(Stage.allCases.map(\.rawValue).joined(separator: ", ")).")
    var stage = Stage.all

    @Option(help: "Seed of the order generator.")
    var seed: UInt64 = 7

    @Option(
        help: """
            The records' shape: \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")) (the same orders; jq maps a \
            made-up in-house shape with SampleOrderGenerator.inHouseProgram). The decode stage then maps and decodes.
            """)
    var input = InputFormat.native

    func run() throws {
        // The options read once: an `@Option` is read through ArgumentParser's property wrapper
        // (~1,500 instructions per order when the loop below read `stage` on every order), which
        // is the harness's cost, not the relay's.
        let stage = self.stage, orders = self.orders, threads = self.threads, input = self.input
        let now = Int64(Date().timeIntervalSince1970)
        let generator = SampleOrderGenerator(seed: seed, malformedEvery: 0, nowSeconds: now)
        let records = (0..<1024).map { SampleOrderGenerator.render(generator.sample($0), as: input) }
        let mapped: MappedEventDecoder? =
            switch input {
            case .native: nil
            case .segment: MappedEventDecoder(mapping: SegmentMapping())
            case .shopify: MappedEventDecoder(mapping: ShopifyMapping())
            case .jq: MappedEventDecoder(mapping: try JQMapping(program: SampleOrderGenerator.inHouseProgram))
            }
        let nativeDecoder = OrderEventDecoder()
        func decode(_ record: [UInt8]) throws -> OrderEvent {
            if let mapped { return try mapped.decode(record) }
            return try nativeDecoder.decode(record)
        }
        let events = try records.map(decode)
        let destinations = offlineDestinations()
        var encodedBytes = 0
        // Warm-up, in every stage (so also in the `--orders 0` run the per-order figure subtracts):
        // orders through all five encoders initialise libphonenumber's metadata and regular
        // expressions (about 31 million instructions, once per process), OpenSSL's digests and the
        // tables built on first use (the country names' on the first order that names a country,
        // ~1.6 million instructions): sixteen orders, so every market of the sample is among them.
        // The first one's bytes are counted, as when it was the only one, so the byte count printed
        // at the end compares with earlier rounds'.
        for (index, event) in events.prefix(16).enumerated() {
            let warmUp = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now)
            for destination in destinations {
                if case .send(let payload) = destination.encode(warmUp), index == 0 { encodedBytes &+= payload.count }
            }
        }
        if stage == .map {
            let threads = max(1, threads)
            let started = ContinuousClock.now
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                for index in stride(from: worker, to: orders, by: threads) {
                    let record = records[index % records.count]
                    _ = mapped == nil ? try? nativeDecoder.decode(record) : try? mapped!.decode(record)
                }
            }
            let elapsed = ContinuousClock.now - started
            let microseconds = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
            print("map (\(input.rawValue)): \(orders) orders on \(threads) threads, \(String(format: "%.2f", orders > 0 ? microseconds / Double(orders) : 0)) µs of wall time per order")
            return
        }
        // Each destination's payloads go where the relay puts them: one block per destination for
        // a run of orders (`RecordPreparer`'s share of a polled chunk on one thread), each payload
        // a slice of it, held until the run ends (in the relay, until delivered).
        let ordersPerBlock = 256
        var blocks = destinations.map { _ in PayloadBlock(reservingCapacity: ordersPerBlock * PayloadBlock.initialBytesPerEvent) }
        var slices: [PayloadSlice] = []
        slices.reserveCapacity(ordersPerBlock * destinations.count)
        let started = ContinuousClock.now
        for index in 0..<orders {
            let event = stage == .encode ? events[index % events.count] : (mapped == nil ? try nativeDecoder.decode(records[index % records.count]) : try mapped!.decode(records[index % records.count]))
            guard stage != .decode else {
                encodedBytes &+= event.items.count
                continue
            }
            // Consumed, as `RecordPreparer` does, so the count never includes a copy of the
            // event that the relay does not make (the optimiser already forwarded this last use:
            // the figure did not move). The encode stage still copies its event out of `events`.
            let eventID = event.orderID
            let prepared = PreparedEvent(event: consume event, eventID: eventID, nowSeconds: now)
            if index % ordersPerBlock == 0 && index > 0 {
                for block in blocks { block.write { $0.shrinkToFit() } }
                slices.removeAll(keepingCapacity: true)
                blocks = destinations.map { _ in PayloadBlock(reservingCapacity: ordersPerBlock * PayloadBlock.initialBytesPerEvent) }
            }
            for (lane, destination) in destinations.enumerated() {
                // Written as `RecordPreparer` writes, through the block's own accessors.
                let block = blocks[lane]
                let start = block.count
                if block.write({ destination.encode(prepared, into: &$0) }) == nil {
                    slices.append(PayloadSlice(block, offset: start, count: block.count - start))
                    encodedBytes &+= block.count - start
                }
            }
        }
        let elapsed = ContinuousClock.now - started
        let microseconds = Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
        let perOrder = String(format: "%.2f", orders > 0 ? microseconds / Double(orders) : 0)
        let label = input == .native ? stage.rawValue : "\(stage.rawValue) (\(input.rawValue))"
        print("\(label): \(orders) orders, \(perOrder) µs per order on one thread (\(encodedBytes) bytes encoded)")
    }
}
