/// Byte-level versions of the normalisation rules for input that is entirely ASCII, the common
/// case, which skip Unicode property lookups and grapheme breaking. Each returns `nil` when the
/// input has a non-ASCII byte, and the caller then applies the general (Unicode) rule; for ASCII
/// input both give the same result (`IdentityNormalizerTests` check them against each other).
enum ASCIIRules {
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    static func lowercased(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }

    /// The email rule (trimmed by the caller): lowercase; for Google, whitespace removed and the
    /// gmail.com/googlemail.com local part without dots and `+tag`. Throws what the general rule
    /// throws.
    static func email(_ raw: String, google: Bool) throws(NormalizationError) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        var at = -1
        var ats = 0
        for byte in raw.utf8 {
            guard byte < 0x80 else { return nil }
            if isASCIIWhitespace(byte) {
                if google { continue }
                throw NormalizationError("not an email address")
            }
            if byte == UInt8(ascii: "@") {
                ats += 1
                at = bytes.count
            }
            bytes.append(lowercased(byte))
        }
        guard ats == 1, at > 0 else { throw NormalizationError("not an email address") }
        let domain = bytes[(at + 1)...]
        guard domain.contains(UInt8(ascii: ".")), domain.first != UInt8(ascii: "."), domain.last != UInt8(ascii: ".") else {
            throw NormalizationError("not an email address")
        }
        if google, domain.elementsEqual("gmail.com".utf8) || domain.elementsEqual("googlemail.com".utf8) {
            var local = bytes[..<at]
            if let plus = local.firstIndex(of: UInt8(ascii: "+")) { local = local[..<plus] }
            let kept = local.filter { $0 != UInt8(ascii: ".") }
            guard !kept.isEmpty else { throw NormalizationError("not an email address") }
            return String(decoding: kept + [UInt8(ascii: "@")] + domain, as: UTF8.self)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The name rule: lowercase, punctuation and symbols removed, then trimmed.
    static func name(_ raw: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        for byte in raw.utf8 {
            guard byte < 0x80 else { return nil }
            // ASCII punctuation and symbols: everything printable that is not a letter, digit or space.
            let isLetterOrDigit = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            if isLetterOrDigit || isASCIIWhitespace(byte) || byte < 0x20 || byte == 0x7F { bytes.append(lowercased(byte)) }
        }
        var start = 0
        var end = bytes.count
        while start < end, isASCIIWhitespace(bytes[start]) { start += 1 }
        while end > start, isASCIIWhitespace(bytes[end - 1]) { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The letters-only rule (cities, states): lowercase letters, nothing else.
    static func lettersOnly(_ raw: String) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(raw.utf8.count)
        for byte in raw.utf8 {
            guard byte < 0x80 else { return nil }
            let lower = lowercased(byte)
            if (0x61...0x7A).contains(lower) { bytes.append(lower) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
