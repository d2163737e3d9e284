/// Size and time limits of one destination's batches.
public struct BatchPolicy: Sendable, Equatable {
    /// Most events in one request (the platform's documented limit or lower).
    public var maximumEvents: Int
    /// Most encoded bytes of events in one request.
    public var maximumBytes: Int
    /// Longest time, in milliseconds, the first event of a batch waits for more.
    public var lingerMilliseconds: Int

    public init(maximumEvents: Int, maximumBytes: Int = 4 << 20, lingerMilliseconds: Int = 200) {
        self.maximumEvents = maximumEvents
        self.maximumBytes = maximumBytes
        self.lingerMilliseconds = lingerMilliseconds
    }
}

/// Collects encoded events for one destination until a batch is full or has lingered long enough.
///
/// Pure: time is passed in (milliseconds on a monotonic clock), and the accumulator returns the
/// batches that are ready instead of sending anything.
public struct BatchAccumulator<Element: Sendable>: Sendable {
    public let policy: BatchPolicy
    public private(set) var elements: [Element] = []
    public private(set) var byteCount = 0
    private var openedAt: Int64?

    public init(policy: BatchPolicy) {
        self.policy = policy
    }

    public var isEmpty: Bool { elements.isEmpty }

    /// Adds one element of `bytes` encoded size. Returns the batch that had to be closed to make
    /// room (byte limit) or that became full (event limit).
    public mutating func append(_ element: Element, bytes: Int, now: Int64) -> [Element]? {
        var closed: [Element]? = nil
        if !elements.isEmpty, byteCount + bytes > policy.maximumBytes {
            closed = take()
        }
        if elements.isEmpty { openedAt = now }
        elements.append(element)
        byteCount += bytes
        if elements.count >= policy.maximumEvents {
            precondition(closed == nil, "a batch cannot close twice in one append")
            return take()
        }
        return closed
    }

    /// When the open batch must be flushed, if there is one.
    public var deadline: Int64? {
        openedAt.map { $0 + Int64(policy.lingerMilliseconds) }
    }

    /// Returns the open batch when its linger time has passed.
    public mutating func takeIfDue(now: Int64) -> [Element]? {
        guard let deadline, now >= deadline else { return nil }
        return take()
    }

    /// Closes and returns the open batch regardless of time (shutdown, revoke).
    public mutating func take() -> [Element] {
        let batch = elements
        elements.removeAll(keepingCapacity: true)
        byteCount = 0
        openedAt = nil
        return batch
    }
}
