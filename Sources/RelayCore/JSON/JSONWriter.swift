/// Appends JSON to a reusable byte buffer, with no intermediate `String`s or `Foundation`.
///
/// The writer does not track structure; callers emit separators through ``beginObject()``,
/// ``key(_:)`` and friends, which keeps encoding straight-line and allocation-free once the buffer
/// has grown to its working size.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8]
    /// Bit `d`: the open container at depth `d + 1` already has a member (so the next one needs a
    /// comma). A bit set instead of a stack: no allocation, no bounds checks.
    private var hasMembers: UInt64 = 0
    private var depth = 0

    /// Containers nest at most this deep.
    public static let maximumDepth = 64

    public init(reservingCapacity capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Clears the content but keeps the allocated capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        hasMembers = 0
        depth = 0
    }

    private var currentBit: UInt64 { 1 << UInt64(depth - 1) }

    private mutating func separator() {
        guard depth > 0 else { return }
        if hasMembers & currentBit != 0 { bytes.append(UInt8(ascii: ",")) }
        hasMembers |= currentBit
    }

    private mutating func open(_ bracket: UInt8) {
        separator()
        bytes.append(bracket)
        precondition(depth < Self.maximumDepth, "JSONWriter nests at most \(Self.maximumDepth) containers")
        depth += 1
        hasMembers &= ~currentBit
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        depth -= 1
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }

    public mutating func endObject() { close(UInt8(ascii: "}")) }

    public mutating func beginArray() { open(UInt8(ascii: "[")) }

    public mutating func endArray() { close(UInt8(ascii: "]")) }

    /// Writes an object key; the next value written belongs to it.
    public mutating func key(_ name: StaticString) {
        separator()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        hasMembers &= ~currentBit
    }

    /// Writes an object key that is not known at compile time.
    public mutating func key(dynamic name: String) {
        separator()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        hasMembers &= ~currentBit
    }

    public mutating func string(_ value: String) {
        separator()
        appendQuoted(value)
    }

    public mutating func number(_ value: JSONNumber) {
        separator()
        bytes.append(contentsOf: value.literal.utf8)
    }

    public mutating func integer(_ value: Int64) {
        separator()
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func bool(_ value: Bool) {
        separator()
        bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    public mutating func null() {
        separator()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Inserts already-encoded JSON (one complete value) as the next value.
    public mutating func raw(_ encoded: some Collection<UInt8>) {
        separator()
        bytes.append(contentsOf: encoded)
    }

    /// Writes any parsed value back out, members in document order.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let object):
            beginObject()
            for member in object.members {
                key(dynamic: member.key)
                self.value(member.value)
            }
            endObject()
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendQuoted(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        // Fast path: most values need no escaping and are copied in one go.
        let clean = value.utf8.withContiguousStorageIfAvailable { buffer in
            !buffer.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        }
        if clean == true {
            bytes.append(contentsOf: value.utf8)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "\\"))
            case 0x0A:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "n"))
            case 0x0D:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "r"))
            case 0x09:
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30])
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default:
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
