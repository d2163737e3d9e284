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
    /// which take part in grapheme breaking or trimming). A literal, statically initialised (a
    /// table worked out at run time is a lazy global, checked in every rule that reads it); a test
    /// holds it equal to ``computedTable``, worked out from the Unicode properties.
    private static let table: [UInt32] = [
        0x10000E0, 0x10000E1, 0x10000E2, 0x10000E3, 0x10000E4, 0x10000E5, 0x10000E6, 0x10000E7,
        0x10000E8, 0x10000E9, 0x10000EA, 0x10000EB, 0x10000EC, 0x10000ED, 0x10000EE, 0x10000EF,
        0x10000F0, 0x10000F1, 0x10000F2, 0x10000F3, 0x10000F4, 0x10000F5, 0x10000F6, 0x20000D7,
        0x10000F8, 0x10000F9, 0x10000FA, 0x10000FB, 0x10000FC, 0x10000FD, 0x10000FE, 0x10000DF,
        0x10000E0, 0x10000E1, 0x10000E2, 0x10000E3, 0x10000E4, 0x10000E5, 0x10000E6, 0x10000E7,
        0x10000E8, 0x10000E9, 0x10000EA, 0x10000EB, 0x10000EC, 0x10000ED, 0x10000EE, 0x10000EF,
        0x10000F0, 0x10000F1, 0x10000F2, 0x10000F3, 0x10000F4, 0x10000F5, 0x10000F6, 0x20000F7,
        0x10000F8, 0x10000F9, 0x10000FA, 0x10000FB, 0x10000FC, 0x10000FD, 0x10000FE, 0x10000FF,
        0x1000101, 0x1000101, 0x1000103, 0x1000103, 0x1000105, 0x1000105, 0x1000107, 0x1000107,
        0x1000109, 0x1000109, 0x100010B, 0x100010B, 0x100010D, 0x100010D, 0x100010F, 0x100010F,
        0x1000111, 0x1000111, 0x1000113, 0x1000113, 0x1000115, 0x1000115, 0x1000117, 0x1000117,
        0x1000119, 0x1000119, 0x100011B, 0x100011B, 0x100011D, 0x100011D, 0x100011F, 0x100011F,
        0x1000121, 0x1000121, 0x1000123, 0x1000123, 0x1000125, 0x1000125, 0x1000127, 0x1000127,
        0x1000129, 0x1000129, 0x100012B, 0x100012B, 0x100012D, 0x100012D, 0x100012F, 0x100012F,
        0x0, 0x1000131, 0x1000133, 0x1000133, 0x1000135, 0x1000135, 0x1000137, 0x1000137,
        0x1000138, 0x100013A, 0x100013A, 0x100013C, 0x100013C, 0x100013E, 0x100013E, 0x1000140,
        0x1000140, 0x1000142, 0x1000142, 0x1000144, 0x1000144, 0x1000146, 0x1000146, 0x1000148,
        0x1000148, 0x1000149, 0x100014B, 0x100014B, 0x100014D, 0x100014D, 0x100014F, 0x100014F,
        0x1000151, 0x1000151, 0x1000153, 0x1000153, 0x1000155, 0x1000155, 0x1000157, 0x1000157,
        0x1000159, 0x1000159, 0x100015B, 0x100015B, 0x100015D, 0x100015D, 0x100015F, 0x100015F,
        0x1000161, 0x1000161, 0x1000163, 0x1000163, 0x1000165, 0x1000165, 0x1000167, 0x1000167,
        0x1000169, 0x1000169, 0x100016B, 0x100016B, 0x100016D, 0x100016D, 0x100016F, 0x100016F,
        0x1000171, 0x1000171, 0x1000173, 0x1000173, 0x1000175, 0x1000175, 0x1000177, 0x1000177,
        0x10000FF, 0x100017A, 0x100017A, 0x100017C, 0x100017C, 0x100017E, 0x100017E, 0x100017F,
        0x1000180, 0x0, 0x1000183, 0x1000183, 0x1000185, 0x1000185, 0x0, 0x1000188,
        0x1000188, 0x0, 0x0, 0x100018C, 0x100018C, 0x100018D, 0x10001DD, 0x0,
        0x0, 0x1000192, 0x1000192, 0x0, 0x0, 0x1000195, 0x0, 0x0,
        0x1000199, 0x1000199, 0x100019A, 0x100019B, 0x0, 0x0, 0x100019E, 0x0,
        0x10001A1, 0x10001A1, 0x10001A3, 0x10001A3, 0x10001A5, 0x10001A5, 0x0, 0x10001A8,
        0x10001A8, 0x0, 0x10001AA, 0x10001AB, 0x10001AD, 0x10001AD, 0x0, 0x10001B0,
        0x10001B0, 0x0, 0x0, 0x10001B4, 0x10001B4, 0x10001B6, 0x10001B6, 0x0,
        0x10001B9, 0x10001B9, 0x10001BA, 0x10001BB, 0x10001BD, 0x10001BD, 0x10001BE, 0x10001BF,
        0x10001C0, 0x10001C1, 0x10001C2, 0x10001C3, 0x10001C6, 0x10001C6, 0x10001C6, 0x10001C9,
        0x10001C9, 0x10001C9, 0x10001CC, 0x10001CC, 0x10001CC, 0x10001CE, 0x10001CE, 0x10001D0,
        0x10001D0, 0x10001D2, 0x10001D2, 0x10001D4, 0x10001D4, 0x10001D6, 0x10001D6, 0x10001D8,
        0x10001D8, 0x10001DA, 0x10001DA, 0x10001DC, 0x10001DC, 0x10001DD, 0x10001DF, 0x10001DF,
        0x10001E1, 0x10001E1, 0x10001E3, 0x10001E3, 0x10001E5, 0x10001E5, 0x10001E7, 0x10001E7,
        0x10001E9, 0x10001E9, 0x10001EB, 0x10001EB, 0x10001ED, 0x10001ED, 0x10001EF, 0x10001EF,
        0x10001F0, 0x10001F3, 0x10001F3, 0x10001F3, 0x10001F5, 0x10001F5, 0x1000195, 0x10001BF,
        0x10001F9, 0x10001F9, 0x10001FB, 0x10001FB, 0x10001FD, 0x10001FD, 0x10001FF, 0x10001FF,
        0x1000201, 0x1000201, 0x1000203, 0x1000203, 0x1000205, 0x1000205, 0x1000207, 0x1000207,
        0x1000209, 0x1000209, 0x100020B, 0x100020B, 0x100020D, 0x100020D, 0x100020F, 0x100020F,
        0x1000211, 0x1000211, 0x1000213, 0x1000213, 0x1000215, 0x1000215, 0x1000217, 0x1000217,
        0x1000219, 0x1000219, 0x100021B, 0x100021B, 0x100021D, 0x100021D, 0x100021F, 0x100021F,
        0x100019E, 0x1000221, 0x1000223, 0x1000223, 0x1000225, 0x1000225, 0x1000227, 0x1000227,
        0x1000229, 0x1000229, 0x100022B, 0x100022B, 0x100022D, 0x100022D, 0x100022F, 0x100022F,
        0x1000231, 0x1000231, 0x1000233, 0x1000233, 0x1000234, 0x1000235, 0x1000236, 0x1000237,
        0x1000238, 0x1000239, 0x0, 0x100023C, 0x100023C, 0x100019A, 0x0, 0x100023F,
        0x1000240, 0x1000242, 0x1000242, 0x1000180, 0x0, 0x0, 0x1000247, 0x1000247,
        0x1000249, 0x1000249, 0x100024B, 0x100024B, 0x100024D, 0x100024D, 0x100024F, 0x100024F,
        0x1001E01, 0x1001E01, 0x1001E03, 0x1001E03, 0x1001E05, 0x1001E05, 0x1001E07, 0x1001E07,
        0x1001E09, 0x1001E09, 0x1001E0B, 0x1001E0B, 0x1001E0D, 0x1001E0D, 0x1001E0F, 0x1001E0F,
        0x1001E11, 0x1001E11, 0x1001E13, 0x1001E13, 0x1001E15, 0x1001E15, 0x1001E17, 0x1001E17,
        0x1001E19, 0x1001E19, 0x1001E1B, 0x1001E1B, 0x1001E1D, 0x1001E1D, 0x1001E1F, 0x1001E1F,
        0x1001E21, 0x1001E21, 0x1001E23, 0x1001E23, 0x1001E25, 0x1001E25, 0x1001E27, 0x1001E27,
        0x1001E29, 0x1001E29, 0x1001E2B, 0x1001E2B, 0x1001E2D, 0x1001E2D, 0x1001E2F, 0x1001E2F,
        0x1001E31, 0x1001E31, 0x1001E33, 0x1001E33, 0x1001E35, 0x1001E35, 0x1001E37, 0x1001E37,
        0x1001E39, 0x1001E39, 0x1001E3B, 0x1001E3B, 0x1001E3D, 0x1001E3D, 0x1001E3F, 0x1001E3F,
        0x1001E41, 0x1001E41, 0x1001E43, 0x1001E43, 0x1001E45, 0x1001E45, 0x1001E47, 0x1001E47,
        0x1001E49, 0x1001E49, 0x1001E4B, 0x1001E4B, 0x1001E4D, 0x1001E4D, 0x1001E4F, 0x1001E4F,
        0x1001E51, 0x1001E51, 0x1001E53, 0x1001E53, 0x1001E55, 0x1001E55, 0x1001E57, 0x1001E57,
        0x1001E59, 0x1001E59, 0x1001E5B, 0x1001E5B, 0x1001E5D, 0x1001E5D, 0x1001E5F, 0x1001E5F,
        0x1001E61, 0x1001E61, 0x1001E63, 0x1001E63, 0x1001E65, 0x1001E65, 0x1001E67, 0x1001E67,
        0x1001E69, 0x1001E69, 0x1001E6B, 0x1001E6B, 0x1001E6D, 0x1001E6D, 0x1001E6F, 0x1001E6F,
        0x1001E71, 0x1001E71, 0x1001E73, 0x1001E73, 0x1001E75, 0x1001E75, 0x1001E77, 0x1001E77,
        0x1001E79, 0x1001E79, 0x1001E7B, 0x1001E7B, 0x1001E7D, 0x1001E7D, 0x1001E7F, 0x1001E7F,
        0x1001E81, 0x1001E81, 0x1001E83, 0x1001E83, 0x1001E85, 0x1001E85, 0x1001E87, 0x1001E87,
        0x1001E89, 0x1001E89, 0x1001E8B, 0x1001E8B, 0x1001E8D, 0x1001E8D, 0x1001E8F, 0x1001E8F,
        0x1001E91, 0x1001E91, 0x1001E93, 0x1001E93, 0x1001E95, 0x1001E95, 0x1001E96, 0x1001E97,
        0x1001E98, 0x1001E99, 0x1001E9A, 0x1001E9B, 0x1001E9C, 0x1001E9D, 0x10000DF, 0x1001E9F,
        0x1001EA1, 0x1001EA1, 0x1001EA3, 0x1001EA3, 0x1001EA5, 0x1001EA5, 0x1001EA7, 0x1001EA7,
        0x1001EA9, 0x1001EA9, 0x1001EAB, 0x1001EAB, 0x1001EAD, 0x1001EAD, 0x1001EAF, 0x1001EAF,
        0x1001EB1, 0x1001EB1, 0x1001EB3, 0x1001EB3, 0x1001EB5, 0x1001EB5, 0x1001EB7, 0x1001EB7,
        0x1001EB9, 0x1001EB9, 0x1001EBB, 0x1001EBB, 0x1001EBD, 0x1001EBD, 0x1001EBF, 0x1001EBF,
        0x1001EC1, 0x1001EC1, 0x1001EC3, 0x1001EC3, 0x1001EC5, 0x1001EC5, 0x1001EC7, 0x1001EC7,
        0x1001EC9, 0x1001EC9, 0x1001ECB, 0x1001ECB, 0x1001ECD, 0x1001ECD, 0x1001ECF, 0x1001ECF,
        0x1001ED1, 0x1001ED1, 0x1001ED3, 0x1001ED3, 0x1001ED5, 0x1001ED5, 0x1001ED7, 0x1001ED7,
        0x1001ED9, 0x1001ED9, 0x1001EDB, 0x1001EDB, 0x1001EDD, 0x1001EDD, 0x1001EDF, 0x1001EDF,
        0x1001EE1, 0x1001EE1, 0x1001EE3, 0x1001EE3, 0x1001EE5, 0x1001EE5, 0x1001EE7, 0x1001EE7,
        0x1001EE9, 0x1001EE9, 0x1001EEB, 0x1001EEB, 0x1001EED, 0x1001EED, 0x1001EEF, 0x1001EEF,
        0x1001EF1, 0x1001EF1, 0x1001EF3, 0x1001EF3, 0x1001EF5, 0x1001EF5, 0x1001EF7, 0x1001EF7,
        0x1001EF9, 0x1001EF9, 0x1001EFB, 0x1001EFB, 0x1001EFD, 0x1001EFD, 0x1001EFF, 0x1001EFF,
    ]

    /// ``table`` as worked out from the Unicode properties the general rules use.
    static var computedTable: [UInt32] {
        ranges.flatMap { range in
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
    }

    /// ``table``, for the test against ``computedTable``.
    static var literalTable: [UInt32] { table }

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
