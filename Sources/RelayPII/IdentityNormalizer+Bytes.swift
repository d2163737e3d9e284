import RelayCrypto

// The rules byte by byte: the value is read as UTF-8 bytes (``RawPII/withUTF8(_:)``), normalised
// into the customer's buffer (``IdentityContext/withScratch(capacity:_:)``) and hashed from there,
// with no `String` per value. Each step applies the same rule as the general path on `String`
// (``IdentityNormalizer/normalizeText(_:_:for:context:)``) for the input it accepts and hands
// everything else to it (`ByteRuleTests` compare the two).
extension IdentityNormalizer {
    /// What the byte-level path made of a value.
    @usableFromInline
    enum ByteOutcome {
        /// The identifier is in the slot the path was given (initialised there, not returned:
        /// no copy of it through this enum and its callers).
        case normalized
        case failed(NormalizationError)
        /// Not handled byte by byte (other scripts, possible Unicode whitespace at an end, rare
        /// fields): the general rules decide.
        case general
    }

    /// What a byte-level rule wrote into the scratch buffer.
    private enum RuleOutcome {
        /// The normalised value: this range of the scratch buffer.
        case value(Range<Int>)
        case failed(NormalizationError)
        case general
    }

    @usableFromInline
    static func normalizeBytes(
        _ field: IdentityField, _ input: UnsafeBufferPointer<UInt8>, for platform: Platform, transmission: Transmission,
        context: IdentityContext, into slot: UnsafeMutablePointer<NormalizedIdentifier>
    ) -> ByteOutcome {
        guard let raw = trimmedWhitespace(input) else { return .general }
        guard !raw.isEmpty else { return .failed(NormalizationError("empty value")) }
        // A value that already is a SHA-256 digest is passed through, lowercased, never re-hashed
        // (Meta SDK `is_already_hashed`; destinations.md §6.5). Plain fields are never digests.
        if transmission == .sha256, SHA256.isHexDigest(utf8: raw) {
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SHA256Digest.hexCount) { lowered in
                for index in 0..<raw.count { lowered[index] = LatinRules.lowercased(raw[index]) }
                let digits = UnsafeBufferPointer(lowered)
                slot.initialize(
                    to: NormalizedIdentifier(
                        value: NormalizedBytes(inline: digits), digest: SHA256Digest(hexDigits: digits), transmission: .sha256))
                return .normalized
            }
        }
        if field == .phone { return phone(raw, for: platform, transmission: transmission, context: context, into: slot) }
        // Room for the longest output of any rule below: a Latin letter's lowercase is at most
        // three bytes, and the US state rule writes the value lower-cased, then its letters.
        return context.withScratch(capacity: 2 * LatinRules.outputCapacity(raw.count)) { bytes -> ByteOutcome in
            switch rule(field, raw, for: platform, context: context, into: &bytes) {
            case .general: return .general
            case .failed(let error): return .failed(error)
            case .value(let range):
                let value = UnsafeBufferPointer(rebasing: bytes.bytes[range])
                slot.initialize(to: identifier(value, transmission: transmission, context: context))
                return .normalized
            }
        }
    }

    /// The identifier of the normalised `value`, hashed (once per customer) when the platform
    /// wants it hashed.
    private static func identifier(
        _ value: UnsafeBufferPointer<UInt8>, transmission: Transmission, context: IdentityContext
    ) -> NormalizedIdentifier {
        switch transmission {
        case .sha256:
            NormalizedIdentifier(value: NormalizedBytes(value, in: context), digest: context.digest(of: value), transmission: .sha256)
        case .plain, .omit: NormalizedIdentifier(value: NormalizedBytes(value, in: context), digest: nil, transmission: transmission)
        }
    }

    /// `input` without leading and trailing ASCII whitespace, as `String.trimmingWhitespace()`
    /// gives it; `nil` when what is left starts or ends with a scalar that may be Unicode
    /// whitespace (its lead byte, as ``mayHoldWhitespace(_:)`` reads it), which the general path
    /// trims. Inlined: nearly every value takes the first test and nothing else.
    @inline(__always)
    static func trimmedWhitespace(_ input: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8>? {
        // Nearly every value starts and ends with a visible ASCII byte: nothing to trim, and
        // neither end can start a Unicode whitespace scalar.
        if let first = input.first, let last = input.last, first &- 0x21 < 0x5F, last &- 0x21 < 0x5F { return input }
        var start = 0
        var end = input.count
        while start < end, LatinRules.isASCIIWhitespace(input[start]) { start += 1 }
        while end > start, LatinRules.isASCIIWhitespace(input[end - 1]) { end -= 1 }
        guard start < end else { return UnsafeBufferPointer(rebasing: input[0..<0]) }
        var last = end - 1
        while last > start, input[last] & 0xC0 == 0x80 { last -= 1 }
        guard !mayStartWhitespace(input[start]), !mayStartWhitespace(input[last]) else { return nil }
        return UnsafeBufferPointer(rebasing: input[start..<end])
    }

    /// The rule of `field` for `platform` on trimmed `raw`, written into `bytes`.
    private static func rule(
        _ field: IdentityField, _ raw: UnsafeBufferPointer<UInt8>, for platform: Platform, context: IdentityContext,
        into bytes: inout ScratchBytes
    ) -> RuleOutcome {
        switch field {
        case .email:
            do {
                guard try LatinRules.email(raw, google: platform == .google, into: &bytes) else { return .general }
                return .value(0..<bytes.count)
            } catch {
                return .failed(error)
            }
        case .firstName, .lastName:
            switch platform {
            case .tiktok:
                guard LatinRules.lowercasedWithoutWhitespace(raw, into: &bytes) else { return .general }
                return bytes.count > 0 ? .value(0..<bytes.count) : .failed(NormalizationError("name has no letters"))
            case .google, .meta, .pinterest, .snapchat:
                guard let range = LatinRules.name(raw, into: &bytes) else { return .general }
                guard !range.isEmpty else { return .failed(NormalizationError("name has no letters")) }
                // Google leaves out a title before or a suffix after a name of several words (one
                // word, the usual case, has neither).
                if platform == .google, bytes.bytes[range].contains(where: LatinRules.isASCIIWhitespace) {
                    return googleNameWithoutAffixes(range, into: &bytes)
                }
                return .value(range)
            }
        case .city:
            return lettersOnly(raw, what: "city", into: &bytes)
        case .state:
            switch platform {
            case .tiktok: return lettersOnly(raw, what: "state", into: &bytes)
            case .pinterest: return subdivisionCode(raw, country: context.country, into: &bytes)
            case .meta, .google, .snapchat:
                // Outside the US the state rule is the letters-only rule of the lower-cased value,
                // which for Latin-script input is the letters-only rule of the value itself.
                let country = context.country
                guard let country, !country.isUnitedStates else { return usState(raw, country: country, into: &bytes) }
                return lettersOnly(raw, what: "state", into: &bytes)
            }
        case .postalCode:
            // Read here, not for every rule: the country is copied out of the context.
            let country = context.country
            switch platform {
            case .google:
                if country?.isUnitedStates == true { return postalCode(raw, country: country, into: &bytes) }
                // Sent as given (trimmed) when at most 16 characters: ASCII bytes are characters,
                // except a CR LF pair, which is one (left to the general rule).
                guard LatinRules.isASCII(raw), !raw.contains(0x0D) else { return .general }
                guard raw.count <= 16 else { return .failed(NormalizationError("postal code has an impossible length")) }
                bytes.append(contentsOf: raw)
                return .value(0..<bytes.count)
            case .tiktok:
                guard LatinRules.lowercasedWithoutWhitespace(raw, into: &bytes) else { return .general }
                // At most 16 characters: counted as bytes when they are all ASCII.
                guard bytes.bytes.allSatisfy({ $0 < 0x80 }) else { return .general }
                guard bytes.count > 0, bytes.count <= 16 else {
                    return .failed(NormalizationError("postal code has an impossible length"))
                }
                return .value(0..<bytes.count)
            case .meta, .pinterest, .snapchat:
                return postalCode(raw, country: country, into: &bytes)
            }
        case .country:
            // Two letters that are a code (the usual value), else a name or alpha-3 code in the table.
            // Text that is not ASCII is left to the general rule.
            guard let lookedUp = context.countryLookup(ascii: raw) else { return .general }
            guard let found = lookedUp else { return .failed(NormalizationError("unknown country")) }
            // Google's regionCode is upper-case alpha-2 [§2 regionCode]; others lowercase [§1 country].
            let first = UInt8(truncatingIfNeeded: found.alpha2Bytes), second = UInt8(truncatingIfNeeded: found.alpha2Bytes >> 8)
            bytes.append(platform == .google ? LatinRules.uppercased(first) : first)
            bytes.append(platform == .google ? LatinRules.uppercased(second) : second)
            return .value(0..<bytes.count)
        case .externalID:
            // Sent as given (trimmed); bytes other than ASCII are left to the general path, which
            // reads them as a `String`.
            guard LatinRules.isASCII(raw) else { return .general }
            bytes.append(contentsOf: raw)
            return .value(0..<bytes.count)
        case .dateOfBirth, .gender, .phone:
            return .general
        }
    }

    /// ``googleName(_:)`` after the name rule wrote `range` (words separated by ASCII whitespace):
    /// a title first and a suffix last (``GoogleNameAffixes``) left out of a name of several words,
    /// the words left joined by single spaces; the name as written when neither is there.
    private static func googleNameWithoutAffixes(_ range: Range<Int>, into bytes: inout ScratchBytes) -> RuleOutcome {
        let name = UnsafeBufferPointer(rebasing: bytes.bytes[range])
        // Left to the general rule: a scalar that may be Unicode whitespace (which `split` splits
        // at), and one that is not ASCII after whitespace (a combining mark joins it into one
        // Character, which `split(whereSeparator: \.isWhitespace)` would not split at).
        for index in 0..<name.count where name[index] >= 0x80 {
            if mayStartWhitespace(name[index]) || (index > 0 && LatinRules.isASCIIWhitespace(name[index - 1])) { return .general }
        }
        // The words, as `split` gives them: runs of other bytes. Only the first and the last can
        // go, so only they and the count are kept (no array of words).
        var wordCount = 0
        var first = 0..<0
        var last = 0..<0
        var start = -1
        for index in 0...name.count {
            if index < name.count, !LatinRules.isASCIIWhitespace(name[index]) {
                if start < 0 { start = index }
            } else if start >= 0 {
                if wordCount == 0 { first = start..<index }
                last = start..<index
                wordCount += 1
                start = -1
            }
        }
        var kept = wordCount
        let dropsTitle = kept > 1 && GoogleNameAffixes.isTitle(UnsafeBufferPointer(rebasing: name[first]))
        if dropsTitle { kept -= 1 }
        let dropsSuffix = kept > 1 && GoogleNameAffixes.isSuffix(UnsafeBufferPointer(rebasing: name[last]))
        if dropsSuffix { kept -= 1 }
        // Unchanged unless an affix went: the rest of the name keeps its spacing.
        guard kept != wordCount else { return .value(range) }
        // The words kept, joined by single spaces.
        let from = bytes.count
        let keptWords = (dropsTitle ? 1 : 0)..<(dropsSuffix ? wordCount - 1 : wordCount)
        var word = 0
        var inWord = false
        for index in 0..<name.count {
            if LatinRules.isASCIIWhitespace(name[index]) {
                if inWord { word += 1 }
                inWord = false
                continue
            }
            if !inWord, keptWords.contains(word), word > keptWords.lowerBound { bytes.append(0x20) }
            inWord = true
            if keptWords.contains(word) { bytes.append(name[index]) }
        }
        return .value(from..<bytes.count)
    }

    /// ``state(_:country:)`` in the US or without a country: state names and codes looked up
    /// in ``USStates`` by their bytes (Latin-script text equals an ASCII key as a `String` exactly
    /// when their bytes are equal), as the general rule does.
    private static func usState(
        _ raw: UnsafeBufferPointer<UInt8>, country: CountryTable.Country?, into bytes: inout ScratchBytes
    ) -> RuleOutcome {
        guard LatinRules.lowercased(raw, into: &bytes) else { return .general }
        // Trimmed: the Latin-script path writes no whitespace but ASCII's.
        var start = 0
        var end = bytes.count
        while start < end, LatinRules.isASCIIWhitespace(bytes[start]) { start += 1 }
        while end > start, LatinRules.isASCIIWhitespace(bytes[end - 1]) { end -= 1 }
        let lowered = UnsafeBufferPointer(rebasing: bytes.bytes[start..<end])
        let from = bytes.count
        if let code = USStates.codeBytes.value(forKey: lowered) {
            for byte in code.utf8 { bytes.append(byte) }
            return .value(from..<bytes.count)
        }
        guard LatinRules.lettersOnly(lowered, into: &bytes) else { return .general }
        let letters = UnsafeBufferPointer(rebasing: bytes.bytes[from...])
        guard !letters.isEmpty else { return .failed(NormalizationError("state has no letters")) }
        if country != nil, USStates.validCodeBytes.value(forKey: letters) == nil {
            return .failed(NormalizationError("not a US state"))
        }
        return .value(from..<bytes.count)
    }

    /// ``subdivisionCode(_:country:)`` (Pinterest's `st`) with an ASCII key read as bytes.
    private static func subdivisionCode(
        _ raw: UnsafeBufferPointer<UInt8>, country: CountryTable.Country?, into bytes: inout ScratchBytes
    ) -> RuleOutcome {
        let alpha2 = country?.alpha2Bytes ?? CountryTable.unitedStatesAlpha2Bytes
        if let subdivisions = SubdivisionCodes.keyBytes(ofAlpha2Bytes: alpha2) {
            guard let found = SubdivisionCodes.code(ascii: raw, countryBytes: alpha2, in: subdivisions) else { return .general }
            guard let code = found else {
                return .failed(NormalizationError("not a subdivision of the order's country"))
            }
            for byte in code.utf8 { bytes.append(byte) }
            return .value(0..<bytes.count)
        }
        guard LatinRules.lowercased(raw, into: &bytes) else { return .general }
        guard bytes.count == 2, bytes.bytes.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else {
            return .failed(NormalizationError("no subdivision code for this country"))
        }
        return .value(0..<2)
    }

    private static func lettersOnly(_ raw: UnsafeBufferPointer<UInt8>, what: String, into bytes: inout ScratchBytes) -> RuleOutcome {
        guard LatinRules.lettersOnly(raw, into: &bytes) else { return .general }
        return bytes.count > 0 ? .value(0..<bytes.count) : .failed(NormalizationError("\(what) has no letters"))
    }

    private static func postalCode(
        _ raw: UnsafeBufferPointer<UInt8>, country: CountryTable.Country?, into bytes: inout ScratchBytes
    ) -> RuleOutcome {
        do {
            guard let range = try asciiPostalCode(raw, country: country, into: &bytes) else { return .general }
            return .value(range)
        } catch {
            return .failed(error)
        }
    }

    /// The phone rule on bytes: the number parsed once per customer
    /// (``IdentityContext/withRememberedE164(for:_:)``), then each platform's form of it.
    private static func phone(
        _ raw: UnsafeBufferPointer<UInt8>, for platform: Platform, transmission: Transmission, context: IdentityContext,
        into slot: UnsafeMutablePointer<NormalizedIdentifier>
    ) -> ByteOutcome {
        func form(_ number: UnsafeBufferPointer<UInt8>) -> ByteOutcome {
            let start: Int
            switch platform {
            case .google: start = 0
            // TikTok's own server-side template (tiktok/gtm-template-eapi template.tpl, phone help):
            // "If the country code is 86, then do not include country code (example: 13800000000)".
            case .tiktok:
                let chinese = number.count >= 3 && number[0] == UInt8(ascii: "+") && number[1] == UInt8(ascii: "8") && number[2] == UInt8(ascii: "6")
                start = chinese ? 3 : 0
            case .meta, .pinterest, .snapchat: start = 1
            }
            let value = UnsafeBufferPointer(rebasing: number[min(start, number.count)...])
            slot.initialize(to: identifier(value, transmission: transmission, context: context))
            return .normalized
        }
        // An empty form: the number has none (libphonenumber refused it).
        let remembered = context.withRememberedE164(for: raw) { number in
            number.isEmpty ? .failed(notPossible(country: context.country)) : form(number)
        }
        if let remembered { return remembered }
        // Not ASCII: the general rule decides.
        guard let parsed = asciiE164(raw, country: context.country) else { return .general }
        switch parsed {
        case .failure(let error):
            // A refused number is remembered too: refusing one can cost more than parsing one.
            if error == notPossible(country: context.country) { context.rememberE164(UnsafeBufferPointer(start: nil, count: 0), for: raw) }
            return .failed(error)
        case .success(let e164):
            return e164.withUTF8 { number in
                context.rememberE164(number, for: raw)
                return form(number)
            }
        }
    }
}

extension IdentityNormalizer {
    /// Whether `field`'s identifier for `platform`, normalised from the value whose UTF-8 bytes
    /// are `raw`, is `other`, an identifier normalised from the same value for a platform with
    /// another rule of the field: answered from `raw`'s bytes (and `other`'s value) for the values
    /// on which the rules agree, so a cache copies `other` instead of running the rule again.
    /// `false` means "not known equal", not "different".
    ///
    /// - Names: every rule (the name rule; Google's, which only drops a title or suffix from a name
    ///   of several words; TikTok's lower case without whitespace) makes a word of letters alone
    ///   (ASCII, and the two-byte precomposed Latin ones: `Zoë`, `Łukasz`) the same lower-case word.
    /// - Email: on visible ASCII and two-byte Latin letters between ASCII whitespace at the ends
    ///   (which every rule trims: no whitespace left for Google's rule to remove, nor for the
    ///   others to refuse), Google's rule differs from the others only for a gmail.com or
    ///   googlemail.com address, which its value, and `other`'s, ends with.
    public static func isSameIdentifier(
        _ field: IdentityField, utf8 raw: UnsafeBufferPointer<UInt8>, for platform: Platform,
        as other: UnsafePointer<NormalizedIdentifier>
    ) -> Bool {
        guard !raw.isEmpty, other.pointee.transmission == transmission(of: field, for: platform) else { return false }
        switch field {
        case .firstName, .lastName:
            var index = 0
            while index < raw.count {
                let byte = raw[index]
                if LatinRules.isASCIILetter(byte) {
                    index += 1
                    continue
                }
                // A precomposed Latin letter of two bytes (not a symbol such as `×`): each rule
                // writes its lowercase. Three-byte ones may start like whitespace: not here.
                guard byte >= 0xC3, byte <= 0xC9, let (scalar, length) = LatinScalars.decode(raw, at: index),
                    let lower = LatinScalars.lowercase(scalar), !lower.isPunctuationOrSymbol
                else { return false }
                index += length
            }
            return true
        case .email:
            // ASCII whitespace at the ends, which both rules trim; then visible ASCII and two-byte
            // Latin letters, which both copy lower-cased.
            var start = 0
            var end = raw.count
            while start < end, LatinRules.isASCIIWhitespace(raw[start]) { start += 1 }
            while end > start, LatinRules.isASCIIWhitespace(raw[end - 1]) { end -= 1 }
            var index = start
            while index < end {
                let byte = raw[index]
                if LatinRules.isVisibleASCII(byte) {
                    // This byte and the visible ASCII ones after it, up to eight at a time.
                    if end &- index >= 8, let base = raw.baseAddress {
                        let lanes = LatinRules.notVisibleASCIILanes(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
                        index &+= lanes == 0 ? 8 : lanes.trailingZeroBitCount &>> 3
                    } else {
                        index &+= 1
                    }
                    continue
                }
                guard byte >= 0xC3, byte <= 0xC9, let (scalar, length) = LatinScalars.decode(raw, at: index),
                    LatinScalars.lowercase(scalar) != nil
                else { return false }
                index += length
            }
            return other.pointee.value.withUTF8 { value in
                !value.hasSuffix(utf8: "@gmail.com") && !value.hasSuffix(utf8: "@googlemail.com")
            }
        default:
            return false
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether the bytes end with `suffix`'s.
    fileprivate func hasSuffix(utf8 suffix: StaticString) -> Bool {
        let length = suffix.utf8CodeUnitCount
        guard count >= length, let base = baseAddress else { return false }
        return sameBytes(UnsafeBufferPointer(start: base + (count - length), count: length), UnsafeBufferPointer(start: suffix.utf8Start, count: length))
    }
}

/// Whether a scalar starting with `byte` may be whitespace: ASCII whitespace, or the lead byte of
/// a non-ASCII `White_Space` scalar (U+0085 and U+00A0 start with 0xC2, U+1680 with 0xE1,
/// U+2000–U+205F with 0xE2, U+3000 with 0xE3).
@inline(__always)
func mayStartWhitespace(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x09...0x0D, 0x20, 0xC2, 0xE1, 0xE2, 0xE3: true
    default: false
    }
}
