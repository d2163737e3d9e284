#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only table of values by their key's UTF-8 bytes, looked up from bytes where they lie:
/// no `String` made for the key and no SipHash of it (a `Dictionary` with `String` keys cost both
/// on every lookup), but an FNV-1a hash of the bytes and open addressing. Built once from a
/// dictionary whose keys it holds byte for byte: for keys of ASCII text, whose `String` equality
/// is byte equality, it answers as the dictionary does.
struct ByteKeyTable<Value: Sendable>: Sendable {
    private struct Entry: Sendable {
        let start: Int
        let count: Int
        let value: Value
    }

    /// Per slot, its entry's index plus one, or 0 when empty; a power of two long, at most half full.
    private let slots: [Int32]
    private let keys: [UInt8]
    private let entries: [Entry]

    init(_ dictionary: [String: Value]) {
        var capacity = 16
        while capacity < dictionary.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: 0, count: capacity)
        var keys: [UInt8] = []
        var entries: [Entry] = []
        for (key, value) in dictionary.sorted(by: { $0.key < $1.key }) {
            let bytes = Array(key.utf8)
            var index = bytes.withUnsafeBufferPointer { Int(truncatingIfNeeded: Self.hash($0)) } & (capacity - 1)
            while slots[index] != 0 { index = (index + 1) & (capacity - 1) }
            entries.append(Entry(start: keys.count, count: bytes.count, value: value))
            keys += bytes
            slots[index] = Int32(entries.count)
        }
        self.slots = slots
        self.keys = keys
        self.entries = entries
    }

    /// The value of the key whose bytes are `key`, or `nil`.
    func value(forKey key: UnsafeBufferPointer<UInt8>) -> Value? {
        slots.withUnsafeBufferPointer { slots in
            keys.withUnsafeBufferPointer { keys in
                entries.withUnsafeBufferPointer { entries in
                    let mask = slots.count &- 1
                    var index = Int(truncatingIfNeeded: Self.hash(key)) & mask
                    while true {
                        let slot = Int(slots[index])
                        if slot == 0 { return nil }
                        let entry = entries[slot &- 1]
                        if entry.count == key.count,
                            entry.count == 0 || memcmp(keys.baseAddress! + entry.start, key.baseAddress!, entry.count) == 0
                        {
                            return entry.value
                        }
                        index = (index &+ 1) & mask
                    }
                }
            }
        }
    }

    /// 64-bit FNV-1a of the bytes.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}
