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
/// batches that are ready instead of sending anything. Inlinable, so the engine's accumulators
/// are specialised for its element type (unspecialised, each append looks up witness tables
/// and generic metadata).
public struct BatchAccumulator<Element: Sendable>: Sendable {
    public let policy: BatchPolicy
    @usableFromInline var openElements: [Element] = []
    @usableFromInline var openBytes = 0
    @usableFromInline var openedAt: Int64?

    @inlinable
    public init(policy: BatchPolicy) {
        self.policy = policy
    }

    /// The open batch.
    @inlinable public var elements: [Element] { openElements }
    /// Encoded bytes of the open batch.
    @inlinable public var byteCount: Int { openBytes }
    @inlinable public var isEmpty: Bool { openElements.isEmpty }

    /// Adds one element of `bytes` encoded size. Returns the batch that had to be closed to make
    /// room (byte limit) or that became full (event limit). The element moves into the open batch.
    @inlinable
    public mutating func append(_ element: consuming Element, bytes: Int, now: Int64) -> [Element]? {
        var closed: [Element]? = nil
        if !openElements.isEmpty, openBytes + bytes > policy.maximumBytes {
            closed = take()
        }
        if openElements.isEmpty { openedAt = now }
        openElements.append(element)
        openBytes += bytes
        if openElements.count >= policy.maximumEvents {
            precondition(closed == nil, "a batch cannot close twice in one append")
            return take()
        }
        return closed
    }

    /// When the open batch must be flushed, if there is one.
    @inlinable
    public var deadline: Int64? {
        openedAt.map { $0 + Int64(policy.lingerMilliseconds) }
    }

    /// Returns the open batch when its linger time has passed.
    @inlinable
    public mutating func takeIfDue(now: Int64) -> [Element]? {
        guard let deadline, now >= deadline else { return nil }
        return take()
    }

    /// Closes and returns the open batch regardless of time (shutdown, revoke).
    @inlinable
    public mutating func take() -> [Element] {
        let batch = openElements
        openElements.removeAll(keepingCapacity: true)
        openBytes = 0
        openedAt = nil
        return batch
    }
}
