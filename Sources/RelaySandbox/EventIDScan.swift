#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds event ids in a request body without parsing it, for the benchmark's sandbox: a request
/// it does not sample for full validation still has its events counted exactly (the harness's
/// lost and duplicate figures), at the cost of a byte search (``ByteSearch``) instead of a JSON
/// parse and the platform's checks
/// (``SandboxServer/init(accounts:threads:fingerprintPayloads:validateEvery:receiptObserver:)``).
enum EventIDScan {
    /// The values of every `"key": "value"` member in `body` (or in its bytes `range`), in order,
    /// or nil when one of them is not a plain string (an escape, another type): the caller then
    /// takes the full path, which reads JSON as JSON. The quoted key cannot occur inside a JSON
    /// string (its closing quote would end that string), so each match is a member name; a match
    /// preceded by a backslash (a name ending in `\"key`) is skipped. Members of the same name in
    /// nested objects are counted too, which the relay's encoders do not write (the harness would
    /// show them as duplicates).
    static func stringValues(of key: String, in body: [UInt8], range: Range<Int>? = nil) -> [String]? {
        var values: [String] = []
        let readable = forEachStringValue(of: key, in: body, range: range) { value in
            values.append(String(decoding: value, as: UTF8.self))
            return true
        }
        return readable ? values : nil
    }

    /// Whether some `"key": "value"` member's value is `value`; nil when a value of `key` cannot
    /// be read plainly (as ``stringValues(of:in:range:)``), so the caller takes the full path. No
    /// `String` per member.
    static func anyStringValue(of key: String, is value: String, in body: [UInt8]) -> Bool? {
        let expected = Array(value.utf8)
        var found = false
        let readable = forEachStringValue(of: key, in: body) { candidate in
            found = candidate.elementsEqual(expected)
            return !found
        }
        return found ? true : readable ? false : nil
    }

    /// Whether some `"key"` member of `body` is `true`.
    static func anyIsTrue(_ key: String, in body: [UInt8]) -> Bool {
        return body.withUnsafeBufferPointer { buffer in
            let search = ByteSearch("\"\(key)\"", sampling: buffer)
            var position = 0
            while let offset = search.firstOffset(in: buffer, from: position) {
                var cursor = offset + search.needle.count
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
        body.withUnsafeBufferPointer { ByteSearch(text, sampling: $0).firstOffset(in: $0, from: 0) != nil }
    }

    /// Calls `visit` with the bytes of each `"key": "value"` member's value in `body[range]`, in
    /// order, until it returns false. Returns false when a value cannot be read plainly: not a
    /// string, an escape in it, or no closing quote.
    private static func forEachStringValue(
        of key: String, in body: [UInt8], range: Range<Int>? = nil, _ visit: (UnsafeBufferPointer<UInt8>) -> Bool
    ) -> Bool {
        body.withUnsafeBufferPointer { whole -> Bool in
            let range = range?.clamped(to: 0..<whole.count) ?? 0..<whole.count
            let buffer = UnsafeBufferPointer(rebasing: whole[range])
            guard let base = buffer.baseAddress else { return true }
            let search = ByteSearch("\"\(key)\"", sampling: buffer)
            var position = 0
            while let offset = search.firstOffset(in: buffer, from: position) {
                var cursor = offset + search.needle.count
                position = cursor
                if offset > 0, base[offset - 1] == UInt8(ascii: "\\") { continue }
                skipWhitespace(buffer, &cursor)
                guard cursor < buffer.count, base[cursor] == UInt8(ascii: ":") else { continue }
                cursor += 1
                skipWhitespace(buffer, &cursor)
                guard cursor < buffer.count, base[cursor] == UInt8(ascii: "\"") else { return false }
                let start = cursor + 1
                guard start < buffer.count, let hit = memchr(base + start, Int32(UInt8(ascii: "\"")), buffer.count - start) else { return false }
                let end = UnsafeRawPointer(hit) - UnsafeRawPointer(base)
                let value = UnsafeBufferPointer(rebasing: buffer[start..<end])
                if memchr(base + start, Int32(UInt8(ascii: "\\")), end - start) != nil { return false }
                position = end + 1
                if !visit(value) { return true }
            }
            return true
        }
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
