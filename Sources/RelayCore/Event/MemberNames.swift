/// The member names an object of the event contract knows, matched against a document's bytes a
/// word at a time.
struct MemberNames {
    private struct Name {
        let spelled: StaticString
        let length: Int
        /// The first eight bytes (fewer for a shorter name), little-endian, zero-padded.
        let head: UInt64
        /// The last eight bytes, for a name longer than eight.
        let tail: UInt64
    }

    private let names: [Name]

    init(_ names: [StaticString]) {
        precondition(names.count <= 64, "one bit per name in a UInt64")
        self.names = names.map { spelled in
            let bytes = UnsafeBufferPointer(start: spelled.utf8Start, count: spelled.utf8CodeUnitCount)
            func word(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> UInt64 {
                slice.reversed().reduce(0) { $0 << 8 | UInt64($1) }
            }
            precondition(bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C })
            return Name(
                spelled: spelled, length: bytes.count, head: word(bytes.prefix(8)),
                tail: bytes.count > 8 ? word(bytes.suffix(8)) : 0)
        }
    }

    func length(of member: Int) -> Int { names[member].length }

    /// The index of the name whose bytes, followed by the closing quote, start at `start`; nil for
    /// a name the contract does not know (or one spelled with escapes, which the caller refuses).
    /// `tryingFirst` is the likeliest index.
    func member(startingAt start: Int, in bytes: UnsafeBufferPointer<UInt8>, tryingFirst likeliest: Int) -> Int? {
        names.withUnsafeBufferPointer { names in
            if likeliest < names.count, Self.matches(names[likeliest], at: start, in: bytes) { return likeliest }
            return names.indices.first { Self.matches(names[$0], at: start, in: bytes) }
        }
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
}
