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

    /// Appends `input`'s bytes as they are, in one copy.
    @inline(__always)
    mutating func append(contentsOf input: UnsafeBufferPointer<UInt8>) {
        precondition(input.count <= capacity - count, "ScratchBytes overflow")
        if let source = input.baseAddress { (base + count).update(from: source, count: input.count) }
        count += input.count
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

    /// ``appendLowercasedRun(_:from:while:)`` for visible ASCII bytes (U+0021–U+007E) other than
    /// `stop` (0: none), eight bytes at a time while eight such bytes follow, then byte by byte.
    /// Each word is tested lane by lane for a byte outside the run (these tests are exact for
    /// "some byte of the word"), and lower-cased by adding 0x20 to the lanes in `A`–`Z`.
    @inline(__always)
    mutating func appendLowercasedVisibleRun(_ input: UnsafeBufferPointer<UInt8>, from start: Int, except stop: UInt8) -> Int {
        precondition(start >= 0 && count + (input.count - start) <= capacity, "ScratchBytes overflow")
        var index = start
        if let source = input.baseAddress {
            let target = base
            var written = count
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            /// Some lane of `word` is zero.
            func hasZero(_ word: UInt64) -> Bool { (word &- ones) & ~word & highs != 0 }
            while input.count &- index >= 8 {
                let word = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
                // A byte that is not visible ASCII, or `stop`.
                if LatinRules.notVisibleASCIILanes(word) != 0 || hasZero(word ^ (ones &* UInt64(stop))) { break }
                // ASCII lanes: + 0x3F sets bit 7 from `A` (0x41) on, + 0x25 from past `Z` (0x5B) on, with no carry out of the lane.
                let upper = (word &+ ones &* 0x3F) & ~(word &+ ones &* 0x25) & highs
                UnsafeMutableRawPointer(target + written).storeBytes(of: word | upper >> 2, as: UInt64.self)
                index &+= 8
                written &+= 8
            }
            count = written
        }
        return appendLowercasedRun(input, from: index) { LatinRules.isVisibleASCII($0) && $0 != stop }
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
