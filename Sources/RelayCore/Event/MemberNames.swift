/// The member names an object of the event contract knows, matched against a document's bytes a
/// word at a time (little-endian: a word's first bytes are its low bits).
///
/// Producers write members in one order, mostly the contract's, so the name the caller expects is
/// tried first, in line. Any other name is found by its length and first eight bytes: they pick
/// one slot of a 64-slot table (the multiplier is chosen when the table is made so that no two
/// names share a slot), and at most three word compares confirm it. No scan of the names.
struct MemberNames {
    struct Name {
        let spelled: StaticString
        let length: Int
        /// The first eight bytes (fewer for a shorter name), zero-padded.
        let head: UInt64
        /// The last eight bytes, for a name longer than eight.
        let tail: UInt64
    }

    /// A name as it follows a member in compact JSON, `,"name":`, for ``firstKey(from:at:in:)``.
    struct Key {
        let length: Int
        /// The first eight bytes and the last eight (four each for a key shorter than eight).
        let head: UInt64
        let tail: UInt64
        /// Bytes 8–15, for a key longer than sixteen bytes.
        let middle: UInt64
        let spelled: StaticString
    }

    let names: [Name]
    /// `names`' compact keys, in the same order.
    let keys: [Key]
    /// One more than the index of the name whose slot it is; 0 for an empty slot.
    private let slots: [UInt8]
    private let multiplier: UInt64
    private let longestName: Int

    init(_ names: [StaticString]) {
        precondition(names.count <= 64, "one bit per name in a UInt64, one slot each")
        let names = names.map { spelled in
            let bytes = UnsafeBufferPointer(start: spelled.utf8Start, count: spelled.utf8CodeUnitCount)
            func word(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64 {
                slice.reversed().reduce(0) { $0 << 8 | UInt64($1) }
            }
            precondition(!bytes.isEmpty && bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C })
            return Name(
                spelled: spelled, length: bytes.count, head: word(bytes.prefix(8)),
                tail: bytes.count > 8 ? word(bytes.suffix(8)) : 0)
        }
        // Odd multipliers from a fixed sequence until every name has a slot of its own: the same
        // table on every run. A dozen names in 64 slots take a few tries.
        var random = SplitMix64(seed: 0x4D45_4D42_4552)
        var multiplier: UInt64
        var slots: [UInt8]
        repeat {
            multiplier = random.next() | 1
            slots = [UInt8](repeating: 0, count: 64)
            for (index, name) in names.enumerated() {
                let slot = Self.slot(head: name.head, length: name.length, multiplier: multiplier)
                guard slots[slot] == 0 else {
                    slots = []
                    break
                }
                slots[slot] = UInt8(index + 1)
            }
        } while slots.isEmpty
        self.names = names
        self.keys = names.map { name in
            let bytes = [UInt8(ascii: ","), UInt8(ascii: "\"")]
                + UnsafeBufferPointer(start: name.spelled.utf8Start, count: name.length) + [UInt8(ascii: "\""), UInt8(ascii: ":")]
            func word(_ slice: ArraySlice<UInt8>) -> UInt64 { slice.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
            let wordSize = bytes.count >= 8 ? 8 : 4
            return Key(
                length: bytes.count, head: word(bytes.prefix(wordSize)), tail: word(bytes.suffix(wordSize)),
                middle: bytes.count > 16 ? word(bytes.dropFirst(8).prefix(8)) : 0, spelled: name.spelled)
        }
        self.slots = slots
        self.multiplier = multiplier
        self.longestName = names.map(\.length).max() ?? 0
    }

    @inline(__always)
    private static func slot(head: UInt64, length: Int, multiplier: UInt64) -> Int {
        Int(truncatingIfNeeded: ((head &+ UInt64(truncatingIfNeeded: length)) &* multiplier) >> 58)
    }

    func length(of member: Int) -> Int { names[member].length }

    /// The index of the name whose bytes, followed by the closing quote, start at `start`; nil for
    /// a name the contract does not know (or one spelled with escapes, which the caller refuses).
    /// `likeliest` is tried first.
    @inline(__always)
    func member(startingAt start: Int, in bytes: UnsafeBufferPointer<UInt8>, tryingFirst likeliest: Int) -> Int? {
        if likeliest < names.count, Self.matches(names[likeliest], at: start, in: bytes) { return likeliest }
        return lookUp(startingAt: start, in: bytes)
    }

    /// The name at `start` found by its slot.
    @inline(never)
    func lookUp(startingAt start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var end = start
        while end < bytes.count, end - start <= longestName, bytes[end] != UInt8(ascii: "\"") { end += 1 }
        let length = end - start
        guard end < bytes.count, length <= longestName else { return nil }
        var head: UInt64 = 0
        for offset in (0..<min(length, 8)).reversed() { head = head << 8 | UInt64(bytes[start + offset]) }
        let index = Int(slots[Self.slot(head: head, length: length, multiplier: multiplier)]) - 1
        guard index >= 0, Self.matches(names[index], at: start, in: bytes) else { return nil }
        return index
    }

    /// Whether the name at `start` (followed by its closing quote) is `names[member]`.
    @inline(__always)
    func matches(_ member: Int, at start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        Self.matches(names[member], at: start, in: bytes)
    }

    @inline(__always)
    private static func matches(_ name: Name, at start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let length = name.length
        guard start + length < bytes.count, bytes[start + length] == UInt8(ascii: "\"") else { return false }
        guard start + 8 <= bytes.count, let base = bytes.baseAddress else {
            return (0..<length).allSatisfy { bytes[start + $0] == name.spelled.utf8Start[$0] }
        }
        let raw = UnsafeRawPointer(base)
        let head = raw.loadUnaligned(fromByteOffset: start, as: UInt64.self)
        guard length > 8 else {
            let mask: UInt64 = length == 8 ? ~0 : (1 << (8 * UInt64(length))) - 1
            return head & mask == name.head
        }
        // A name longer than eight bytes ends at start + length - 1 < bytes.count, so both loads are in bounds.
        guard head == name.head, raw.loadUnaligned(fromByteOffset: start + length - 8, as: UInt64.self) == name.tail
        else { return false }
        return length <= 16 || (8..<length - 8).allSatisfy { bytes[start + $0] == name.spelled.utf8Start[$0] }
    }

    /// The first member from `first` on whose compact key (`,"name":`) starts at `index`, and the
    /// key's length; `nil` when none does. The keys are read without bounds checks (the loop
    /// stays below their count) and the index arithmetic cannot overflow (`index` is within
    /// `bytes`, a key is a few bytes).
    @inline(__always)
    func firstKey(from first: Int, at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> (member: Int, length: Int)? {
        guard let base = bytes.baseAddress, index >= 0 else { return nil }
        let available = bytes.count &- index
        let here = UnsafeRawPointer(base + index)
        return keys.withUnsafeBufferPointer { keys -> (member: Int, length: Int)? in
            var member = first
            while member < keys.count {
                let key = keys[member]
                if key.length <= available, Self.matches(key, at: here) { return (member, key.length) }
                member &+= 1
            }
            return nil
        }
    }

    /// Whether `key` starts at `raw`, where at least its length can be read.
    @inline(__always)
    private static func matches(_ key: Key, at raw: UnsafeRawPointer) -> Bool {
        let length = key.length
        guard length >= 8 else {
            return UInt64(raw.loadUnaligned(as: UInt32.self)) == key.head
                && UInt64(raw.loadUnaligned(fromByteOffset: length &- 4, as: UInt32.self)) == key.tail
        }
        guard raw.loadUnaligned(as: UInt64.self) == key.head,
            raw.loadUnaligned(fromByteOffset: length &- 8, as: UInt64.self) == key.tail
        else { return false }
        guard length > 16 else { return true }
        guard raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == key.middle else { return false }
        // Bytes 16 to length - 8 (only for a name longer than twenty bytes) are the name's from 14.
        return length <= 24 || (16..<length - 8).allSatisfy { raw.load(fromByteOffset: $0, as: UInt8.self) == key.spelled.utf8Start[$0 - 2] }
    }
}
