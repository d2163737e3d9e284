import RelayCore

/// Which open (partial) batches ``LaneBatcher/flush(_:now:)`` closes.
public enum FlushMode: Sendable, Equatable {
    /// Those whose linger has run out.
    case due
    /// Every one: consumption is held, nothing more arrives to fill them, and waiting for the
    /// linger would only keep the relay above its resume mark.
    case holding
    /// Every one, whatever the destination's rate limit: shutdown and revoke drain.
    case all
}

/// The batches of every lane (one per store and destination), what each lane holds unsettled,
/// and each lane's request pacing.
///
/// Each event is an element (what the driver needs to settle or re-route it) and a payload (its
/// encoding, what the request carries), kept in two arrays side by side: a closed batch's
/// payloads are then the request's array as they are. Building that array from the elements
/// (`entries.map(\.payload)`) retained every payload once more and released it with the request,
/// ~0.3 µs per order over five destinations (benchmarks/HISTORY.md, "the engine's share").
///
/// Pure: the driver passes the time (monotonic milliseconds) and sends the batches returned.
public struct LaneBatcher<Element: Sendable, Payload: Sendable>: Sendable {
    /// One closed batch: `payloads[i]` is `elements[i]`'s.
    public typealias Batch = (elements: [Element], payloads: [Payload])

    @usableFromInline var batches: [BatchAccumulator<Element>]
    /// Per lane: the payloads of the open batch, in the order of its elements.
    @usableFromInline var openPayloads: [[Payload]]
    @usableFromInline var inFlightEvents: [Int]
    @usableFromInline var unsent: [Int]
    /// Per lane: events admitted and not yet settled.
    public var inFlight: [Int] { inFlightEvents }
    /// Per lane: batches handed to its delivery loop whose request has not gone out yet (queued
    /// behind others, or waiting for the rate limiter). See ``mayClosePartialBatch(lane:)``.
    public var unsentBatches: [Int] { unsent }
    private var pacing: [RequestPacing?]

    public init(policies: [BatchPolicy], pacing: [RequestPacing?]) {
        precondition(policies.count == pacing.count)
        batches = policies.map { BatchAccumulator(policy: $0) }
        openPayloads = Array(repeating: [], count: policies.count)
        inFlightEvents = Array(repeating: 0, count: policies.count)
        unsent = Array(repeating: 0, count: policies.count)
        self.pacing = pacing
    }

    /// The most events any one lane holds unsettled (what the watermarks compare).
    public var busiestLane: Int { inFlightEvents.max() ?? 0 }

    /// Adds one event (`element` and its `payload`) to `lane`'s open batch; returns the batch it
    /// closed (full, or no room for the event's bytes), which counts as unsent until
    /// ``requestLeft(lane:)``. Both are consumed: they move into the open batch.
    @inlinable
    public mutating func admit(_ element: consuming Element, payload: consuming Payload, lane: Int, bytes: Int, now: Int64) -> Batch? {
        inFlightEvents[lane] += 1
        openPayloads[lane].append(payload)
        guard let closed = batches[lane].append(element, bytes: bytes, now: now) else { return nil }
        unsent[lane] += 1
        return (closed, takePayloads(lane: lane, count: closed.count))
    }

    /// The payloads of a batch of `count` elements just closed on `lane`: the first `count` of
    /// the open payloads. An append closes the open batch with the new event (full) or without
    /// it (no room), so at most that one event stays behind.
    @usableFromInline
    mutating func takePayloads(lane: Int, count: Int) -> [Payload] {
        let open = openPayloads[lane].count
        precondition(count == open || count == open - 1, "a closed batch is the open one, with or without the newest event")
        var taken: [Payload] = []
        taken.reserveCapacity(open)
        swap(&taken, &openPayloads[lane])
        if count < open { openPayloads[lane].append(taken.removeLast()) }
        return taken
    }

    /// Whether a partial batch of `lane` may be closed now, outside shutdown and revoke. A
    /// rate-limited destination with batches still waiting for their turn keeps its open batch
    /// filling towards the platform's maximum instead: closed now, it would only queue behind
    /// them for a token, and carry fewer events in one of the few requests the limit allows
    /// (Google Data Manager: 300 requests a minute of up to 2,000 events per Cloud project,
    /// destinations.md §2, so events per request bound the rate). It closes when full, or once
    /// the batches before it have gone out.
    public func mayClosePartialBatch(lane: Int) -> Bool {
        pacing[lane] == nil || unsent[lane] == 0
    }

    /// Closes open batches as `mode` says (outside ``FlushMode/all``, not those of rate-limited
    /// lanes with batches still waiting: ``mayClosePartialBatch(lane:)``); returns them, and when
    /// the earliest batch left open that may close is due.
    public mutating func flush(_ mode: FlushMode, now: Int64) -> (batches: [(lane: Int, elements: [Element], payloads: [Payload])], nextDeadline: Int64?) {
        var ready: [(lane: Int, elements: [Element], payloads: [Payload])] = []
        var nextDeadline: Int64? = nil
        for lane in batches.indices where !batches[lane].isEmpty {
            // Left open to fill: looked at again on the driver's next turn.
            guard mode == .all || mayClosePartialBatch(lane: lane) else { continue }
            let batch = mode == .due ? batches[lane].takeIfDue(now: now) : batches[lane].take()
            if let batch {
                ready.append((lane, batch, takePayloads(lane: lane, count: batch.count)))
                unsent[lane] += 1
            }
            if let deadline = batches[lane].deadline { nextDeadline = min(nextDeadline ?? deadline, deadline) }
        }
        return (ready, nextDeadline)
    }

    /// Takes a token of `lane`'s request quotas; returns how long to wait before sending (ms).
    public mutating func reserveRequest(lane: Int, now: Int64) -> Int64 {
        pacing[lane]?.reserve(now: now) ?? 0
    }

    /// A batch from the lane's queue sent its first request (or was dropped): no longer unsent.
    public mutating func requestLeft(lane: Int) {
        unsent[lane] -= 1
    }

    /// `count` events of `lane` were settled.
    public mutating func settled(lane: Int, count: Int) {
        inFlightEvents[lane] -= count
    }
}
