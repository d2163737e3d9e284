import CRelayShims
import RelayCore

/// A request body: bytes in one buffer, or a JSON array of already-encoded elements between a
/// head and a tail, which the client sends piece by piece.
///
/// A batch of 1,000 events is ~1 MB. Joining its elements into one more buffer copied every byte
/// once more, and the fresh megabyte was memory the process had to fault in for each request;
/// sent piece by piece, the body holds only references to the elements it shares with the batch
/// (``ownedByteCount``: its head and tail). Each element is a slice of the block its event was
/// encoded into (``PayloadSlice``), so no element is an array of its own.
public struct HTTPBody: Sendable {
    private let head: [UInt8]
    private let elements: [PayloadSlice]
    private let tail: [UInt8]
    /// Bytes in the body.
    public let count: Int

    /// A body of `bytes`, sent as they are.
    public init(_ bytes: [UInt8] = []) {
        head = bytes
        elements = []
        tail = []
        count = bytes.count
    }

    /// `prefix` + `[e1,e2,…]` + `suffix`: each element must be one complete JSON value.
    public init(jsonArray elements: [PayloadSlice], prefix: String, suffix: String) {
        head = Array(prefix.utf8) + [UInt8(ascii: "[")]
        tail = [UInt8(ascii: "]")] + Array(suffix.utf8)
        self.elements = elements
        count = elements.reduce(head.count + tail.count + max(0, elements.count - 1)) { $0 + $1.count }
    }

    /// `prefix` + `[e1,e2,…]` + `suffix` from elements in arrays of their own (tests, tools).
    public init(jsonArray elements: [[UInt8]], prefix: String, suffix: String) {
        self.init(jsonArray: elements.map(PayloadSlice.init(copying:)), prefix: prefix, suffix: suffix)
    }

    /// Bytes the body holds itself, apart from the elements it shares with whoever encoded them.
    public var ownedByteCount: Int { head.count + tail.count }

    /// The whole body in one array: a copy, for tests, previews and redaction, not for sending.
    public var bytes: [UInt8] {
        guard !elements.isEmpty || !tail.isEmpty else { return head }
        var joined: [UInt8] = []
        joined.reserveCapacity(count)
        var reader = Reader(self)
        withUnsafeTemporaryAllocation(byteCount: 65_536, alignment: 1) { chunk in
            while true {
                let length = reader.read(into: chunk)
                guard length > 0 else { break }
                joined.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[..<length]))
            }
        }
        return joined
    }

    // MARK: Pieces

    /// Pieces in order: head, then each element with a comma piece between two elements, then
    /// tail.
    private var pieceCount: Int { 2 + max(0, 2 * elements.count - 1) }

    private static let comma = UInt8(ascii: ",")

    private func withPiece<Result>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        if index == 0 { return head.withUnsafeBytes(body) }
        if index == pieceCount - 1 { return tail.withUnsafeBytes(body) }
        let inner = index - 1
        if inner & 1 == 0 { return elements[inner >> 1].withUnsafeBytes(body) }
        return withUnsafeBytes(of: Self.comma, body)
    }

    /// Reads a body from the start in chunks of any size, and moves to any offset (a resend).
    public struct Reader: Sendable {
        private let body: HTTPBody
        /// The piece being read and how far into it.
        private var piece = 0
        private var offsetInPiece = 0

        public init(_ body: HTTPBody) {
            self.body = body
        }

        /// Copies the next bytes into `buffer`, as many as fit; returns how many (0 at the end).
        ///
        /// The pieces are read in place, through the body's buffers: reading each one through
        /// ``HTTPBody/withPiece(_:_:)`` copied the body (retaining and releasing its three
        /// arrays) and the element (its block) for every element, four retains and four
        /// releases per event and request, a third of this copy's time (0.5 µs per order;
        /// benchmarks/HISTORY.md, "the read-ahead window at 60,000 orders a second").
        public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
            guard let target = buffer.baseAddress else { return 0 }
            let pieces = body.pieceCount
            var written = 0
            body.head.withUnsafeBytes { head in
                body.tail.withUnsafeBytes { tail in
                    body.elements.withUnsafeBufferPointer { elements in
                        while written < buffer.count, piece < pieces {
                            // Only constants go into the closures: a closure that changed these
                            // counters would box them, with an exclusivity check per access.
                            let offset = offsetInPiece, destination = target + written, room = buffer.count - written
                            let (copied, done): (Int, Bool)
                            if piece == 0 {
                                (copied, done) = Self.copy(head, from: offset, to: destination, room: room)
                            } else if piece == pieces - 1 {
                                (copied, done) = Self.copy(tail, from: offset, to: destination, room: room)
                            } else if (piece - 1) & 1 == 0 {
                                // The element's bytes as `PayloadSlice.withUnsafeBytes` reads them,
                                // but without retaining and releasing its block: the body holds
                                // the block (through `elements`) for as long as this call, and a
                                // block's count is shared by a batch's events across threads, so
                                // each retain was a contended atomic (0.3 µs per order in all).
                                // Its fields are read where they lie: a copy of the element retained
                                // its block.
                                let index = (piece - 1) >> 1
                                let slot = elements.baseAddress! + index
                                // Starting an element, the one two on is asked into the cache: a
                                // batch's payloads were encoded tens of milliseconds earlier and
                                // have left it, and the copy stalls on each line it reads otherwise
                                // (benchmarks/HISTORY.md, "the twenty-second round").
                                if offset == 0, index + 2 < elements.count {
                                    let ahead = slot + 2
                                    Unmanaged.passUnretained(ahead.pointee.block)._withUnsafeGuaranteedRef { block in
                                        block.withBytes { all in relay_cshim_prefetch(all.baseAddress! + ahead.pointee.offset, ahead.pointee.count) }
                                    }
                                }
                                let element = (offset: slot.pointee.offset, count: slot.pointee.count)
                                (copied, done) = Unmanaged.passUnretained(slot.pointee.block)._withUnsafeGuaranteedRef { block in
                                    block.withBytes { all in
                                        Self.copy(
                                            UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(all)[element.offset..<element.offset + element.count]),
                                            from: offset, to: destination, room: room)
                                    }
                                }
                            } else {
                                (copied, done) = withUnsafeBytes(of: HTTPBody.comma) { Self.copy($0, from: offset, to: destination, room: room) }
                            }
                            written += copied
                            if done {
                                piece += 1
                                offsetInPiece = 0
                            } else {
                                offsetInPiece += copied
                            }
                        }
                    }
                }
            }
            return written
        }

        /// Copies `bytes` from `offset` to `target`, at most `room` bytes; returns how many, and
        /// whether that reached the end of `bytes`.
        private static func copy(
            _ bytes: UnsafeRawBufferPointer, from offset: Int, to target: UnsafeMutableRawPointer, room: Int
        ) -> (copied: Int, done: Bool) {
            let length = max(0, min(bytes.count - offset, room))
            if length > 0, let source = bytes.baseAddress {
                target.copyMemory(from: source + offset, byteCount: length)
            }
            return (length, offset + length >= bytes.count)
        }

        /// Moves to `offset` bytes from the start; false when the body is shorter.
        public mutating func seek(to offset: Int) -> Bool {
            guard offset >= 0, offset <= body.count else { return false }
            piece = 0
            offsetInPiece = 0
            var remaining = offset
            while remaining > 0 {
                let length = body.withPiece(piece) { $0.count }
                if remaining < length {
                    offsetInPiece = remaining
                    return true
                }
                remaining -= length
                piece += 1
            }
            return true
        }
    }
}
