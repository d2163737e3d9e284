/// Byte-level versions of the normalisation rules for input written in the Latin script — ASCII
/// plus the precomposed Latin letters (U+00C0–U+024F, U+1E00–U+1EFF: `é`, `ø`, `ł`, `ß`, `ẞ`),
/// the common case for names, cities and email addresses — which skip grapheme breaking and
/// per-character Unicode property lookups. Each returns `nil` when the input has any other
/// scalar, and the caller then applies the general (Unicode) rule; for the input they accept both
/// give the same result (`LatinRulesTests` check them against each other, scalar by scalar).
enum LatinRules {
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    static func lowercased(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }

    static func uppercased(_ byte: UInt8) -> UInt8 { (0x61...0x7A).contains(byte) ? byte & ~0x20 : byte }

    /// `raw.lowercased()` for Latin-script input, or `nil` for any other input (states,
    /// subdivision codes). `String.lowercased()` took ~2,000 instructions for an ASCII state name
    /// and ~9,000 for one with a Latin letter such as `Île-de-France` (callgrind of `relay-hot-path`).
    static func lowercased(_ raw: String) -> String? {
        onText(raw) { input, bytes in lowercased(input, into: &bytes) ? bytes.string() : nil }
    }

    /// ``lowercased(_:)`` from bytes into `bytes`; false when the general rule must decide.
    static func lowercased(_ input: UnsafeBufferPointer<UInt8>, into bytes: inout ScratchBytes) -> Bool {
        scan(input) { unit in
            switch unit {
            case .letter(let lower): bytes.appendUTF8(lower.scalar)
            case .ascii(let byte): bytes.append(lowercased(byte))
            }
        }
    }

    /// Calls `body` with `raw`'s bytes and a stack buffer of ``outputCapacity(_:)`` bytes (the
    /// `String` forms of the rules, for tests and the general paths' own fast steps); `nil` when
    /// `raw` is not stored contiguously.
    private static func onText(
        _ raw: String, _ body: (UnsafeBufferPointer<UInt8>, inout ScratchBytes) -> String?
    ) -> String? {
        let outcome = raw.utf8.withContiguousStorageIfAvailable { input in
            ScratchBytes.with(capacity: outputCapacity(input.count)) { bytes in body(input, &bytes) }
        }
        return outcome ?? nil
    }

    /// One unit of Latin-script text: an ASCII byte, or a precomposed Latin letter as its
    /// lowercase form.
    enum Unit {
        case ascii(UInt8)
        case letter(LatinScalars.Lowercase)
    }

    /// Calls `body` for each unit of `input` (valid UTF-8) in order; false (having stopped) when
    /// `input` holds any other scalar, and the general rule must be applied instead.
    @inline(__always)
    static func scan(_ input: UnsafeBufferPointer<UInt8>, _ body: (Unit) -> Void) -> Bool {
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte < 0x80 {
                body(.ascii(byte))
                index += 1
                continue
            }
            guard let (scalar, length) = LatinScalars.decode(input, at: index), let lower = LatinScalars.lowercase(scalar)
            else { return false }
            body(.letter(lower))
            index += length
        }
        return true
    }

    /// ``scan(_:_:)`` with a rule's common bytes taken in runs: `run` appends to `bytes`, lower-cased,
    /// the bytes from an index on that the rule copies lower-cased (ASCII, such as an address's
    /// letters and digits: ``ScratchBytes/appendLowercasedRun(_:from:while:)``) and returns the
    /// index of the first other byte, and `body` is called for every other unit, with `bytes`.
    /// The same output as ``scan(_:_:)`` with a `body` that appends such a byte lower-cased.
    @inline(__always)
    static func scan(
        _ input: UnsafeBufferPointer<UInt8>, into bytes: inout ScratchBytes,
        copyingLowercased run: (inout ScratchBytes, UnsafeBufferPointer<UInt8>, Int) -> Int,
        _ body: (Unit, inout ScratchBytes) -> Void
    ) -> Bool {
        var index = 0
        while index < input.count {
            index = run(&bytes, input, index)
            guard index < input.count else { break }
            let byte = input[index]
            if byte < 0x80 {
                body(.ascii(byte), &bytes)
                index += 1
                continue
            }
            guard let (scalar, length) = LatinScalars.decode(input, at: index), let lower = LatinScalars.lowercase(scalar)
            else { return false }
            body(.letter(lower), &bytes)
            index += length
        }
        return true
    }

    /// Visible ASCII (U+0021–U+007E).
    @inline(__always)
    static func isVisibleASCII(_ byte: UInt8) -> Bool { byte &- 0x21 < 0x5E }

    /// Whether every byte of `input` is ASCII: eight at a time, OR-ed together and tested once.
    @inline(__always)
    static func isASCII(_ input: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = input.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var bits: UInt64 = 0
        var index = 0
        while input.count &- index >= 8 {
            bits |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index &+= 8
        }
        while index < input.count {
            bits |= UInt64(input[index])
            index &+= 1
        }
        return bits & 0x8080_8080_8080_8080 == 0
    }

    /// The high bit of each byte lane of `word` (little-endian: the first byte lowest) that may
    /// not be visible ASCII; 0 when all eight are. The lowest set bit is exact: it marks the
    /// first byte that has its high bit set, is below 0x21 or is 0x7F (a borrow of the
    /// subtractions starts only at such a byte, and can mark only lanes above it).
    @inline(__always)
    static func notVisibleASCIILanes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let delete = word ^ (ones &* 0x7F)
        return (word | (word &- ones &* 0x21) & ~word | (delete &- ones) & ~delete) & highs
    }

    /// An ASCII letter, either case.
    @inline(__always)
    static func isASCIILetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }

    /// ``scan(_:_:)`` over a `String`'s bytes (false when they are not stored contiguously).
    static func scan(_ raw: String, _ body: (Unit) -> Void) -> Bool {
        raw.utf8.withContiguousStorageIfAvailable { scan($0, body) } == true
    }

    /// Output room for the rules below: a unit is at least one input byte and at most three
    /// output bytes.
    static func outputCapacity(_ inputCount: Int) -> Int { inputCount * 3 }

    static func outputCapacity(_ raw: String) -> Int { outputCapacity(raw.utf8.count) }

    /// The email rule (trimmed by the caller): lowercase; for Google, whitespace removed and the
    /// gmail.com/googlemail.com local part without dots and `+tag`. Throws what the general rule
    /// throws.
    static func email(_ raw: String, google: Bool) throws(NormalizationError) -> String? {
        let outcome = raw.utf8.withContiguousStorageIfAvailable { input in
            ScratchBytes.with(capacity: outputCapacity(input.count)) { bytes in
                Result { () throws(NormalizationError) -> String? in
                    try email(input, google: google, into: &bytes) ? bytes.string() : nil
                }
            }
        }
        guard let outcome else { return nil }
        return try outcome.get()
    }

    /// ``email(_:google:)`` from bytes into `bytes`; false when the general rule must decide.
    static func email(
        _ input: UnsafeBufferPointer<UInt8>, google: Bool, into bytes: inout ScratchBytes
    ) throws(NormalizationError) -> Bool {
        var at = -1
        var ats = 0
        var whitespace = false
        // Visible ASCII but "@" (nearly all of an address) is copied lower-cased in runs.
        let accepted = scan(input, into: &bytes, copyingLowercased: { $0.appendLowercasedVisibleRun($1, from: $2, except: UInt8(ascii: "@")) }) { unit, bytes in
            switch unit {
            case .letter(let lower):
                bytes.appendUTF8(lower.scalar)
            case .ascii(let byte) where isASCIIWhitespace(byte):
                if !google { whitespace = true }
            case .ascii(let byte):
                if byte == UInt8(ascii: "@") {
                    ats += 1
                    at = bytes.count
                }
                bytes.append(lowercased(byte))
            }
        }
        guard accepted else { return false }
        guard !whitespace, ats == 1, at > 0 else { throw NormalizationError("not an email address") }
        let domain = bytes.bytes[(at + 1)...]
        guard domain.contains(UInt8(ascii: ".")), domain.first != UInt8(ascii: "."), domain.last != UInt8(ascii: ".") else {
            throw NormalizationError("not an email address")
        }
        if google, domain.elementsEqual("gmail.com".utf8) || domain.elementsEqual("googlemail.com".utf8) {
            // In place: the local part up to a "+", without dots, then "@" and the domain.
            let local = bytes.bytes[..<at]
            let localEnd = local.firstIndex(of: UInt8(ascii: "+")) ?? at
            var written = 0
            for index in 0..<localEnd where bytes[index] != UInt8(ascii: ".") {
                bytes[written] = bytes[index]
                written += 1
            }
            guard written > 0 else { throw NormalizationError("not an email address") }
            for index in at..<bytes.count {
                bytes[written] = bytes[index]
                written += 1
            }
            bytes.truncate(to: written)
        }
        return true
    }

    /// The name rule: lowercase, punctuation and symbols removed, then trimmed.
    static func name(_ raw: String) -> String? {
        onText(raw) { input, bytes in name(input, into: &bytes).map { bytes.string($0) } }
    }

    /// ``name(_:)`` from bytes into `bytes`: the range of `bytes` that is the name (trimmed), or
    /// `nil` when the general rule must decide.
    static func name(_ input: UnsafeBufferPointer<UInt8>, into bytes: inout ScratchBytes) -> Range<Int>? {
        // ASCII letters and digits (nearly all of a name) are copied lower-cased in runs.
        let accepted = scan(input, into: &bytes, copyingLowercased: { $0.appendLowercasedRun($1, from: $2) { isASCIILetter($0) || $0 &- 0x30 < 10 } }) { unit, bytes in
            switch unit {
            case .letter(let lower):
                if !lower.isPunctuationOrSymbol { bytes.appendUTF8(lower.scalar) }
            case .ascii(let byte):
                // ASCII punctuation and symbols: everything printable that is not a letter, digit or space.
                let isLetterOrDigit = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                if isLetterOrDigit || isASCIIWhitespace(byte) || byte < 0x20 || byte == 0x7F { bytes.append(lowercased(byte)) }
            }
        }
        guard accepted else { return nil }
        var start = 0
        var end = bytes.count
        while start < end, isASCIIWhitespace(bytes[start]) { start += 1 }
        while end > start, isASCIIWhitespace(bytes[end - 1]) { end -= 1 }
        return start..<end
    }

    /// TikTok's name and postal code rule: lowercase, whitespace removed, everything else kept.
    static func lowercasedWithoutWhitespace(_ raw: String) -> String? {
        onText(raw) { input, bytes in lowercasedWithoutWhitespace(input, into: &bytes) ? bytes.string() : nil }
    }

    /// ``lowercasedWithoutWhitespace(_:)`` from bytes into `bytes`; false when the general rule must decide.
    static func lowercasedWithoutWhitespace(_ input: UnsafeBufferPointer<UInt8>, into bytes: inout ScratchBytes) -> Bool {
        scan(input, into: &bytes, copyingLowercased: { $0.appendLowercasedVisibleRun($1, from: $2, except: 0) }) { unit, bytes in
            switch unit {
            case .letter(let lower): bytes.appendUTF8(lower.scalar)
            case .ascii(let byte): if !isASCIIWhitespace(byte) { bytes.append(lowercased(byte)) }
            }
        }
    }

    /// The letters-only rule (cities, states): lowercase letters, nothing else.
    static func lettersOnly(_ raw: String) -> String? {
        onText(raw) { input, bytes in lettersOnly(input, into: &bytes) ? bytes.string() : nil }
    }

    /// ``lettersOnly(_:)`` from bytes into `bytes`; false when the general rule must decide.
    static func lettersOnly(_ input: UnsafeBufferPointer<UInt8>, into bytes: inout ScratchBytes) -> Bool {
        scan(input, into: &bytes, copyingLowercased: { $0.appendLowercasedRun($1, from: $2, while: isASCIILetter) }) { unit, bytes in
            switch unit {
            case .letter(let lower):
                if lower.isAlphabetic { bytes.appendUTF8(lower.scalar) }
            case .ascii(let byte):
                let lower = lowercased(byte)
                if (0x61...0x7A).contains(lower) { bytes.append(lower) }
            }
        }
    }
}

/// What the general rules need to know about each precomposed Latin letter, computed once from
/// the Unicode properties the general rules themselves use, so both paths agree by construction.
enum LatinScalars {
    /// The ranges handled: Latin-1 Supplement letters, Latin Extended-A and -B, Latin Extended
    /// Additional.
    static let ranges: [Range<UInt32>] = [0xC0..<0x250, 0x1E00..<0x1F00]

    struct Lowercase {
        /// The scalar's lowercase mapping (a single scalar).
        let scalar: UInt32
        /// Properties of that lowercase scalar.
        let isAlphabetic: Bool
        let isPunctuationOrSymbol: Bool
    }

    /// Per scalar of ``ranges``: the lowercase scalar (bits 0–20), alphabetic (bit 24),
    /// punctuation or symbol (bit 25); 0 when the fast paths must not handle it (its lowercase is
    /// several scalars or outside the handled ranges; whitespace, marks and format characters,
    /// which take part in grapheme breaking or trimming).
    private static let table: [UInt32] = ranges.flatMap { range in
        range.map { value -> UInt32 in
            guard let scalar = Unicode.Scalar(value) else { return 0 }
            let mapping = scalar.properties.lowercaseMapping.unicodeScalars
            guard mapping.count == 1, let lower = mapping.first, isPlain(scalar), isPlain(lower),
                lower.isASCII || ranges.contains(where: { $0.contains(lower.value) })
            else { return 0 }
            let properties = lower.properties
            return lower.value | (properties.isAlphabetic ? 1 << 24 : 0)
                | (properties.generalCategory.isPunctuationOrSymbol ? 1 << 25 : 0)
        }
    }

    private static func isPlain(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .format, .control, .unassigned, .spaceSeparator,
            .lineSeparator, .paragraphSeparator, .surrogate, .privateUse:
            false
        default: !scalar.properties.isWhitespace
        }
    }

    static func lowercase(_ scalar: UInt32) -> Lowercase? {
        let index: Int
        if scalar >= 0xC0, scalar < 0x250 {
            index = Int(scalar - 0xC0)
        } else if scalar >= 0x1E00, scalar < 0x1F00 {
            index = 0x190 + Int(scalar - 0x1E00)
        } else {
            return nil
        }
        let entry = table[index]
        guard entry != 0 else { return nil }
        return Lowercase(scalar: entry & 0x1F_FFFF, isAlphabetic: entry & (1 << 24) != 0, isPunctuationOrSymbol: entry & (1 << 25) != 0)
    }

    /// The scalar a two- or three-byte UTF-8 sequence at `index` encodes when it can be in
    /// ``ranges``, and its length; `nil` for anything else, including a malformed sequence (the
    /// general rules then read the value as a `String`, which repairs it).
    static func decode(_ input: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int)? {
        let lead = input[index]
        if lead >= 0xC3, lead <= 0xC9, index + 1 < input.count, input[index + 1] & 0xC0 == 0x80 {
            return (UInt32(lead & 0x1F) << 6 | UInt32(input[index + 1] & 0x3F), 2)
        }
        if lead == 0xE1, index + 2 < input.count, (0xB8...0xBB).contains(input[index + 1]), input[index + 2] & 0xC0 == 0x80 {
            return (UInt32(lead & 0x0F) << 12 | UInt32(input[index + 1] & 0x3F) << 6 | UInt32(input[index + 2] & 0x3F), 3)
        }
        return nil
    }
}
