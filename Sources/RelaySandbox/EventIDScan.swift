#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds event ids in a request body without parsing it, for the benchmark's sandbox: a request
/// it does not sample for full validation still has its events counted exactly (the harness's
/// lost and duplicate figures), at the cost of a byte search instead of a JSON parse and the
/// platform's checks (``SandboxServer/init(accounts:threads:fingerprintPayloads:validateEvery:receiptObserver:)``).
enum EventIDScan {
    /// The values of every `"key": "value"` member in `body`, in order, or nil when one of them is
    /// not a plain string (an escape, another type): the caller then takes the full path, which
    /// reads JSON as JSON. The quoted key cannot occur inside a JSON string (its closing quote
    /// would end that string), so each match is a member name; a match preceded by a backslash
    /// (a name ending in `\"key`) is skipped. Nested members of the same name would be counted
    /// too, which the relay's encoders do not write (the harness would show them as duplicates).
    static func stringValues(of key: String, in body: [UInt8]) -> [String]? {
        let needle = Needle("\"\(key)\"")
        var values: [String] = []
        return body.withUnsafeBufferPointer { buffer -> [String]? in
            guard let base = buffer.baseAddress else { return values }
            var position = 0
            while let offset = find(needle, in: buffer, from: position) {
                var cursor = offset + needle.bytes.count
                position = cursor
                if offset > 0, base[offset - 1] == UInt8(ascii: "\\") { continue }
                skipWhitespace(buffer, &cursor)
                guard cursor < buffer.count, base[cursor] == UInt8(ascii: ":") else { continue }
                cursor += 1
                skipWhitespace(buffer, &cursor)
                guard cursor < buffer.count, base[cursor] == UInt8(ascii: "\"") else { return nil }
                let start = cursor + 1
                guard start < buffer.count, let hit = memchr(base + start, Int32(UInt8(ascii: "\"")), buffer.count - start) else { return nil }
                let end = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                let value = UnsafeBufferPointer(rebasing: buffer[start..<end])
                if value.contains(UInt8(ascii: "\\")) { return nil }
                values.append(String(decoding: value, as: UTF8.self))
                position = end + 1
            }
            return values
        }
    }

    /// Whether some `"key"` member of `body` is `true`.
    static func anyIsTrue(_ key: String, in body: [UInt8]) -> Bool {
        let needle = Needle("\"\(key)\"")
        return body.withUnsafeBufferPointer { buffer in
            var position = 0
            while let offset = find(needle, in: buffer, from: position) {
                var cursor = offset + needle.bytes.count
                position = cursor
                skipWhitespace(buffer, &cursor)
                guard cursor < buffer.count, buffer[cursor] == UInt8(ascii: ":") else { continue }
                cursor += 1
                skipWhitespace(buffer, &cursor)
                if buffer.count - cursor >= 4, buffer[cursor..<cursor + 4].elementsEqual("true".utf8) { return true }
            }
            return false
        }
    }

    /// Whether `text` occurs anywhere in `body`.
    static func contains(_ text: String, in body: [UInt8]) -> Bool {
        body.withUnsafeBufferPointer { find(Needle(text), in: $0, from: 0) != nil }
    }

    /// A search string and the index of the byte to look for first (``anchor(of:)``), chosen
    /// once per search rather than once per candidate.
    private struct Needle {
        let bytes: [UInt8]
        let anchor: Int

        init(_ text: String) {
            bytes = Array(text.utf8)
            anchor = EventIDScan.anchor(of: bytes)
        }
    }

    /// The offset of the first `needle` in `buffer` at or after `from`: `memchr` finds each
    /// candidate by the needle's rarest-looking byte (``anchor(of:)``: `"` is every few bytes of
    /// JSON), then the whole needle is compared. glibc's `memmem` is a GNU extension that Swift's
    /// Glibc module does not export.
    private static func find(_ needle: Needle, in buffer: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let base = buffer.baseAddress, !needle.bytes.isEmpty else { return nil }
        let anchor = needle.anchor, count = needle.bytes.count
        var position = from + anchor
        while buffer.count - position >= count - anchor {
            guard let hit = memchr(base + position, Int32(needle.bytes[anchor]), buffer.count - position) else { return nil }
            let start = UnsafeRawPointer(hit) - UnsafeRawPointer(base) - anchor
            guard buffer.count - start >= count else { return nil }
            if memcmp(base + start, needle.bytes, count) == 0 { return start }
            position = start + anchor + 1
        }
        return nil
    }

    /// The index of the byte to look for first: punctuation other than JSON's own (`_`, `=`), else
    /// an upper-case letter, else the second byte (after a key's opening quote).
    private static func anchor(of needle: [UInt8]) -> Int {
        func isWord(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        func isCommon(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: "\"") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ")
        }
        if let index = needle.firstIndex(where: { !isWord($0) && !isCommon($0) && $0 >= 0x21 && $0 < 0x7F }) { return index }
        if let index = needle.firstIndex(where: { (0x41...0x5A).contains($0) }) { return index }
        return min(1, needle.count - 1)
    }

    private static func skipWhitespace(_ buffer: UnsafeBufferPointer<UInt8>, _ cursor: inout Int) {
        while cursor < buffer.count {
            switch buffer[cursor] {
            case 0x20, 0x09, 0x0A, 0x0D: cursor += 1
            default: return
            }
        }
    }
}
