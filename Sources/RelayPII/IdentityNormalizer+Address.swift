// The address rules: city, state, postal code and country [destinations.md §1 ct, st, zp, country; §2].
extension IdentityNormalizer {
    /// Lowercase letters only: no punctuation, special characters, digits or spaces [§1 ct, st].
    static func lettersOnly(_ raw: String, what: String) throws(NormalizationError) -> String {
        if let fast = LatinRules.lettersOnly(raw) {
            guard !fast.isEmpty else { throw NormalizationError("\(what) has no letters") }
            return fast
        }
        return try unicodeLettersOnly(raw, what: what)
    }

    /// The letters-only rule for any input (``LatinRules/lettersOnly(_:)`` is its fast path for Latin-script input).
    static func unicodeLettersOnly(_ raw: String, what: String) throws(NormalizationError) -> String {
        let kept = raw.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic }
        guard !kept.isEmpty else { throw NormalizationError("\(what) has no letters") }
        return String(String.UnicodeScalarView(kept))
    }

    /// US: the two-letter code, lowercase, state names mapped to codes; elsewhere lowercase letters
    /// only [§1 st].
    static func state(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String {
        let lowered = (LatinRules.lowercased(raw) ?? raw.lowercased()).trimmingWhitespace()
        if country == nil || country?.alpha2 == "us" {
            if let code = USStates.codes[lowered] { return code }
            let letters = try lettersOnly(lowered, what: "state")
            if USStates.validCodes.contains(letters) { return letters }
            if country?.alpha2 == "us" { throw NormalizationError("not a US state") }
            return letters
        }
        return try lettersOnly(lowered, what: "state")
    }

    /// Lowercase, no spaces or dashes; US: the first five digits (`94035-1234` → `94035`) [§1 zp].
    static func postalCode(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String {
        if let fast = try asciiPostalCode(raw, country: country) { return fast }
        return try unicodePostalCode(raw, country: country)
    }

    /// ``postalCode(_:country:)`` byte by byte for ASCII input (nearly every postal code), or `nil`
    /// for other input; `PostalCodeRuleTests` checks it against ``unicodePostalCode(_:country:)``.
    static func asciiPostalCode(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String? {
        var text = raw
        let outcome = text.withUTF8 { input in
            ScratchBytes.with(capacity: input.count) { compact in
                Result { () throws(NormalizationError) -> String? in
                    try asciiPostalCode(input, country: country, into: &compact).map { compact.string($0) }
                }
            }
        }
        return try outcome.get()
    }

    /// ``asciiPostalCode(_:country:)`` from bytes into `compact` (room for `input.count` bytes):
    /// the range of `compact` that is the code, or `nil` for input that is not ASCII.
    static func asciiPostalCode(
        _ input: UnsafeBufferPointer<UInt8>, country: CountryTable.Country?, into compact: inout ScratchBytes
    ) throws(NormalizationError) -> Range<Int>? {
        guard input.allSatisfy({ $0 < 0x80 }) else { return nil }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        func isLowerLetter(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        for byte in input where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "-") {
            compact.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 0x20 : byte)
        }
        if country?.isUnitedStates == true || country == nil && compact.count >= 5 && compact.bytes.allSatisfy(isDigit) {
            // In place: the digits only.
            var digits = 0
            for index in 0..<compact.count where isDigit(compact[index]) {
                compact[digits] = compact[index]
                digits += 1
            }
            guard digits == 5 || digits == 9 else { throw NormalizationError("not a US ZIP code") }
            return 0..<5
        }
        guard compact.count > 0, compact.bytes.allSatisfy({ isDigit($0) || isLowerLetter($0) }) else {
            throw NormalizationError("postal code has characters other than letters and digits")
        }
        return 0..<compact.count
    }

    /// The postal-code rule for any input (``asciiPostalCode(_:country:)`` is its fast path).
    static func unicodePostalCode(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String {
        let compact = String(raw.lowercased().unicodeScalars.filter { $0 != " " && $0 != "-" }.map(Character.init))
        if country?.alpha2 == "us" || country == nil && compact.count >= 5 && compact.allSatisfy(\.isASCIIDigitCharacter) {
            let digits = compact.filter(\.isASCIIDigitCharacter)
            guard digits.count == 5 || digits.count == 9 else { throw NormalizationError("not a US ZIP code") }
            return String(digits.prefix(5))
        }
        guard !compact.isEmpty, compact.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw NormalizationError("postal code has characters other than letters and digits")
        }
        return compact
    }

    /// ISO 3166-1 alpha-2, lowercase; alpha-3 codes and English names are mapped [§1 country].
    static func country(_ raw: String) throws(NormalizationError) -> String {
        guard let country = CountryTable.lookup(raw) else { throw NormalizationError("unknown country") }
        return country.alpha2
    }

    /// TikTok: lowercase, whitespace removed, as Segment's TikTok integration formats `zip_code`
    /// before hashing (action-destinations tiktok-conversions/reportWebEvent/formatter.ts
    /// `formatString`); Stape trims and lower-cases. Dashes and ZIP+4 are kept, as both keep them.
    static func tiktokPostalCode(_ raw: String) throws(NormalizationError) -> String {
        let code = lowercasedWithoutWhitespace(raw)
        guard !code.isEmpty, code.count <= 16 else { throw NormalizationError("postal code has an impossible length") }
        return code
    }

    /// Google: US 5 digits (5+4 shortened to 5), elsewhere the code as given, trimmed, no extended
    /// codes [§2 postalCode, "strip only" in the util]. Sent unhashed.
    static func googlePostalCode(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String {
        if country?.alpha2 == "us" { return try postalCode(raw, country: country) }
        let trimmed = raw.trimmingWhitespace()
        guard !trimmed.isEmpty, trimmed.count <= 16 else { throw NormalizationError("postal code has an impossible length") }
        return trimmed
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
