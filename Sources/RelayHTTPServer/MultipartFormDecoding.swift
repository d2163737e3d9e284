#if canImport(Glibc)
import Glibc
#endif

/// `multipart/form-data` decoding (RFC 7578 on RFC 2046's multipart syntax): what `curl -F` sends,
/// as in Meta's Conversions API example.
public enum MultipartFormDecoding {
    /// The `boundary` parameter of a `multipart/form-data` content type (quoted or not), or `nil`
    /// for any other content type or a missing or empty boundary.
    public static func boundary(ofContentType contentType: String) -> String? {
        let parameters = contentType.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
        guard let type = parameters.first, type.lowercased() == "multipart/form-data" else { return nil }
        for parameter in parameters.dropFirst() {
            guard let equals = parameter.firstIndex(of: "="),
                parameter[..<equals].trimmingCharacters(in: " \t").lowercased() == "boundary"
            else { continue }
            var value = parameter[parameter.index(after: equals)...].trimmingCharacters(in: " \t")
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty || value.utf8.count > 70 ? nil : value
        }
        return nil
    }

    /// Each part's content by its `Content-Disposition: form-data; name="…"`, or `nil` when the
    /// body is not multipart with this boundary (no opening or closing delimiter, a part without
    /// a name). Contents stay bytes: a Meta body's `data` part is megabytes of JSON.
    public static func decodeBytes(_ body: [UInt8], boundary: String) -> [String: [UInt8]]? {
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = Array("\r\n--\(boundary)".utf8)
        return body.withUnsafeBufferPointer { buffer -> [String: [UInt8]]? in
            // The first boundary opens the body or follows a preamble's line break.
            var position: Int
            if buffer.starts(with: dashBoundary) {
                position = dashBoundary.count
            } else if let found = find(delimiter, in: buffer, from: 0) {
                position = found + delimiter.count
            } else {
                return nil
            }
            var parts: [String: [UInt8]] = [:]
            while true {
                // After a delimiter: `--` closes the body, otherwise a line break opens a part
                // (RFC 2046 allows spaces before it).
                if position + 2 <= buffer.count, buffer[position] == UInt8(ascii: "-"), buffer[position + 1] == UInt8(ascii: "-") {
                    return parts
                }
                while position < buffer.count, buffer[position] == 0x20 || buffer[position] == 0x09 { position += 1 }
                guard position + 2 <= buffer.count, buffer[position] == 0x0D, buffer[position + 1] == 0x0A else { return nil }
                position += 2
                guard let headersEnd = find(Array("\r\n\r\n".utf8), in: buffer, from: position - 2) else { return nil }
                let headers = String(decoding: UnsafeBufferPointer(rebasing: buffer[position..<max(position, headersEnd)]), as: UTF8.self)
                let contentStart = headersEnd + 4
                guard let contentEnd = find(delimiter, in: buffer, from: contentStart), let name = name(inHeaders: headers)
                else { return nil }
                parts[name] = Array(UnsafeBufferPointer(rebasing: buffer[contentStart..<contentEnd]))
                position = contentEnd + delimiter.count
            }
        }
    }

    /// The `name` of a part's `Content-Disposition: form-data` header.
    static func name(inHeaders headers: String) -> String? {
        for line in headers.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "content-disposition" else { continue }
            let parameters = line[line.index(after: colon)...].split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            guard parameters.first?.lowercased() == "form-data" else { return nil }
            for parameter in parameters.dropFirst() where parameter.lowercased().hasPrefix("name=") {
                var value = parameter.dropFirst(5)
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
                return String(value)
            }
        }
        return nil
    }

    /// Where `needle` first occurs in `buffer` at or after `start`: `memchr` to each candidate
    /// first byte, then `memcmp` (megabytes of JSON; Glibc's module does not expose `memmem`).
    private static func find(_ needle: [UInt8], in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start >= 0, let base = buffer.baseAddress, let first = needle.first else { return nil }
        return needle.withUnsafeBufferPointer { pattern -> Int? in
            var position = start
            while buffer.count - position >= pattern.count {
                guard let candidate = memchr(base + position, Int32(first), buffer.count - position - pattern.count + 1) else {
                    return nil
                }
                let index = base.distance(to: candidate.assumingMemoryBound(to: UInt8.self))
                if memcmp(base + index, pattern.baseAddress!, pattern.count) == 0 { return index }
                position = index + 1
            }
            return nil
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
