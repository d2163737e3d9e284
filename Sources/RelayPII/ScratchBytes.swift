/// A byte buffer for building one normalised value: on the stack (``with(capacity:_:)``) or in
/// the free part of a customer's buffer (``IdentityContext/withScratch(capacity:_:)``). The fast
/// paths write their output here, and the value is hashed and kept from here (no `String` per
/// value on the relay's path).
struct ScratchBytes {
    private let base: UnsafeMutablePointer<UInt8>
    /// Bytes written so far.
    private(set) var count = 0
    let capacity: Int

    /// Calls `body` with an empty buffer of `capacity` bytes that lives until `body` returns.
    static func with<Result, Failure: Error>(
        capacity: Int, _ body: (inout ScratchBytes) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let outcome: Swift.Result<Result, Failure> = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(capacity, 1)) {
            var scratch = ScratchBytes(base: $0.baseAddress!, capacity: $0.count)
            return Swift.Result { () throws(Failure) in try body(&scratch) }
        }
        return try outcome.get()
    }

    /// A buffer over `capacity` bytes at `base`, which the caller keeps valid while it is used.
    init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        precondition(count < capacity, "ScratchBytes overflow")
        base[count] = byte
        count += 1
    }

    /// Appends a scalar below U+10000 as UTF-8.
    @inline(__always)
    mutating func appendUTF8(_ scalar: UInt32) {
        if scalar < 0x80 {
            append(UInt8(scalar))
        } else if scalar < 0x800 {
            append(0xC0 | UInt8(scalar >> 6))
            append(0x80 | UInt8(scalar & 0x3F))
        } else {
            append(0xE0 | UInt8(scalar >> 12))
            append(0x80 | UInt8(scalar >> 6 & 0x3F))
            append(0x80 | UInt8(scalar & 0x3F))
        }
    }

    /// Appends the bytes of `input` from `start` on, ASCII lower-cased, up to the first for which
    /// `copied` does not hold; returns that byte's index, or `input.count`. One capacity check for
    /// the run and the count kept in a register: the rules' loop over a value's common bytes.
    @inline(__always)
    mutating func appendLowercasedRun(_ input: UnsafeBufferPointer<UInt8>, from start: Int, while copied: (UInt8) -> Bool) -> Int {
        precondition(start >= 0 && count + (input.count - start) <= capacity, "ScratchBytes overflow")
        let target = base
        var index = start
        var written = count
        while index < input.count {
            let byte = input[index]
            guard copied(byte) else { break }
            target[written] = byte &- 0x41 < 26 ? byte | 0x20 : byte
            index &+= 1
            written &+= 1
        }
        count = written
        return index
    }

    subscript(index: Int) -> UInt8 {
        get {
            precondition(index >= 0 && index < count, "ScratchBytes index out of range")
            return base[index]
        }
        set {
            precondition(index >= 0 && index < count, "ScratchBytes index out of range")
            base[index] = newValue
        }
    }

    /// Keeps the first `newCount` bytes.
    mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "ScratchBytes truncated past its end")
        count = newCount
    }

    /// The bytes written, valid while the buffer lives.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// The bytes in `range` (all of them by default) as a `String`.
    func string(_ range: Range<Int>? = nil) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range ?? 0..<count]), as: UTF8.self)
    }
}
