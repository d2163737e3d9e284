#if canImport(Glibc)
import Glibc
#endif

/// `multipart/form-data` decoding (RFC 7578 on RFC 2046's multipart syntax): what `curl -F` sends,
/// as in Meta's Conversions API example.
public enum MultipartFormDecoding {
    /// The `boundary` parameter of a `multipart/form-data` content type (quoted or not), or `nil`
    /// for any other content type or a missing or empty boundary.
    public static func boundary(ofContentType contentType: String) -> String? {
        let header = parameterized(contentType)
        guard header.value == "multipart/form-data", let boundary = header.parameters["boundary"],
            !boundary.isEmpty, boundary.utf8.count <= 70
        else { return nil }
        return boundary
    }

    /// Each part's content by its `Content-Disposition: form-data; name="…"`, or `nil` when the
    /// body is not multipart with this boundary (no opening or closing delimiter, a part without
    /// a name). Contents stay bytes: a Meta body's `data` part is megabytes of JSON.
    public static func decodeBytes(_ body: [UInt8], boundary: String) -> [String: [UInt8]]? {
        guard let parts = partRanges(body, boundary: boundary) else { return nil }
        var contents: [String: [UInt8]] = [:]
        for part in parts { contents[part.name] = Array(body[part.content]) }
        return contents
    }

    /// Each part's name and where its content lies in `body`, in order (a repeated name repeats),
    /// or `nil` as for ``decodeBytes(_:boundary:)``: the parts without a copy of their contents,
    /// for a reader that looks at a few bytes of a large part (the benchmark sandbox's event-id
    /// scan of Meta's `data`).
    public static func partRanges(_ body: [UInt8], boundary: String) -> [(name: String, content: Range<Int>)]? {
        let dashBoundary = Array("--\(boundary)".utf8)
        let delimiter = Array("\r\n--\(boundary)".utf8)
        let headerTerminator = Array("\r\n\r\n".utf8)
        return body.withUnsafeBufferPointer { buffer -> [(name: String, content: Range<Int>)]? in
            // The first boundary opens the body or follows a preamble's line break.
            var position: Int
            if buffer.starts(with: dashBoundary) {
                position = dashBoundary.count
            } else if let found = find(delimiter, in: buffer, from: 0) {
                position = found + delimiter.count
            } else {
                return nil
            }
            var parts: [(name: String, content: Range<Int>)] = []
            while true {
                // After a delimiter: `--` closes the body, otherwise a line break opens a part
                // (RFC 2046 allows spaces before it).
                if position + 2 <= buffer.count, buffer[position] == UInt8(ascii: "-"), buffer[position + 1] == UInt8(ascii: "-") {
                    return parts
                }
                while position < buffer.count, buffer[position] == 0x20 || buffer[position] == 0x09 { position += 1 }
                guard position + 2 <= buffer.count, buffer[position] == 0x0D, buffer[position + 1] == 0x0A else { return nil }
                position += 2
                guard let blankLine = find(headerTerminator, in: buffer, from: position - 2) else { return nil }
                let headers = String(decoding: UnsafeBufferPointer(rebasing: buffer[position..<max(position, blankLine)]), as: UTF8.self)
                let contentStart = blankLine + headerTerminator.count
                guard let contentEnd = find(delimiter, in: buffer, from: contentStart), let name = name(inHeaders: headers)
                else { return nil }
                parts.append((name, contentStart..<contentEnd))
                position = contentEnd + delimiter.count
            }
        }
    }

    /// The `name` of a part's `Content-Disposition: form-data` header.
    static func name(inHeaders headers: String) -> String? {
        for line in headers.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == "content-disposition" else { continue }
            let header = parameterized(line[line.index(after: colon)...])
            return header.value == "form-data" ? header.parameters["name"] : nil
        }
        return nil
    }

    /// A header value with parameters (`type; key=value; key="value"`): the value lowercased, and
    /// each parameter by its lowercased key, unquoted (the first of a repeated key).
    static func parameterized(_ text: some StringProtocol) -> (value: String, parameters: [String: String]) {
        let items = text.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
        var parameters: [String: String] = [:]
        for item in items.dropFirst() {
            guard let equals = item.firstIndex(of: "=") else { continue }
            var value = item[item.index(after: equals)...]
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = value.dropFirst().dropLast() }
            let key = item[..<equals].lowercased()
            if parameters[key] == nil { parameters[key] = String(value) }
        }
        return ((items.first ?? "").lowercased(), parameters)
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
