/// A buffer that a run of events' encodings for one destination are written into one after
/// another (one thread's share of a polled chunk), each event's payload then a ``PayloadSlice``
/// of it: no array per event and destination, and a request body made of slices (`HTTPBody`).
///
/// Written by one thread while its events are prepared, then only read: whoever hands the block
/// to another thread stops writing to it first (the preparer's threads are joined before the
/// engine batches the slices). Bytes already sliced are never rewritten; growing the buffer may
/// move it, so slices hold offsets, not pointers. Freed with the last slice of it.
public final class PayloadBlock: @unchecked Sendable {
    /// Unchecked exclusivity: one thread writes, as said above, and a check on every access would
    /// cost more than the writes it guards.
    @exclusivity(unchecked) public var writer: JSONWriter

    public init(reservingCapacity capacity: Int) {
        writer = JSONWriter(reservingCapacity: capacity)
    }

    /// Bytes written so far.
    @inlinable public var count: Int { writer.count }

    /// Calls `body` with the bytes written so far, valid during the call (see ``write(_:)`` for
    /// why other modules read through this).
    @inlinable @inline(__always)
    public func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try writer.withBytes(body)
    }

    /// Lets `body` write to the block. Code in other modules writes through this: an access to
    /// `writer` compiled there is still checked at run time (`swift_beginAccess`, seen in the
    /// relay's preparer), while this body, inlined, keeps this module's unchecked access.
    @inlinable @inline(__always)
    public func write<Result>(_ body: (inout JSONWriter) throws -> Result) rethrows -> Result {
        try body(&writer)
    }

    /// Room a block starts with per event it will hold. The five platforms' payloads of the
    /// sample orders average 1.0–1.5 KB (Google 1,007 bytes, Meta 1,464) and reach 1.7 KB, so at
    /// 1 KB most blocks grew once (a copy of all they held); at 2 KB they rarely grow, and the room
    /// left over is given back when the block is finished (`JSONWriter.shrinkToFit`).
    public static let initialBytesPerEvent = 2048
}

/// One event's payload: `count` bytes at `offset` of a ``PayloadBlock``.
public struct PayloadSlice: Sendable {
    public let block: PayloadBlock
    public let offset: Int
    public let count: Int

    /// The bytes `offset..<offset + count` of `block`, which must have been written.
    public init(_ block: PayloadBlock, offset: Int, count: Int) {
        precondition(offset >= 0 && count >= 0 && offset + count <= block.writer.count, "a slice lies within what its block holds")
        self.block = block
        self.offset = offset
        self.count = count
    }

    /// A slice of a block of its own holding a copy of `bytes` (tests, previews, one-off requests).
    public init(copying bytes: some Collection<UInt8>) {
        let block = PayloadBlock(reservingCapacity: bytes.count)
        if bytes.withContiguousStorageIfAvailable({ block.writer.fragment($0) }) == nil {
            Array(bytes).withUnsafeBufferPointer { block.writer.fragment($0) }
        }
        self.init(block, offset: 0, count: bytes.count)
    }

    /// Calls `body` with the slice's bytes, valid during the call.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try block.writer.withBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(all)[offset..<offset + count]))
        }
    }

    /// A copy of the slice's bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}
