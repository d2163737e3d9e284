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
        public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
            guard let target = buffer.baseAddress else { return 0 }
            var written = 0
            let pieces = body.pieceCount
            while written < buffer.count, piece < pieces {
                let (copied, pieceDone) = body.withPiece(piece) { bytes in
                    let length = max(0, min(bytes.count - offsetInPiece, buffer.count - written))
                    if length > 0, let source = bytes.baseAddress {
                        (target + written).copyMemory(from: source + offsetInPiece, byteCount: length)
                    }
                    return (length, offsetInPiece + length >= bytes.count)
                }
                written += copied
                if pieceDone {
                    piece += 1
                    offsetInPiece = 0
                } else {
                    offsetInPiece += copied
                }
            }
            return written
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
