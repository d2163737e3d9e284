import RelayCore
import RelayCrypto

/// An identifier after normalisation, ready to send.
///
/// `normalized` is still personal data, so it is a ``RawPII`` (redacted when printed).
public struct NormalizedIdentifier: Sendable, Equatable {
    public let normalized: RawPII
    /// SHA-256 of `normalized` when the platform wants it hashed, or the value the shop sent when
    /// it already was a SHA-256 digest (never hashed twice). Held inline: no 64-character string
    /// per identifier; encoders write its digits straight into the request (``SHA256Digest/writeHex(to:)``).
    public let digest: SHA256Digest?
    public let transmission: Transmission

    /// ``digest`` as 64 lowercase hexadecimal digits.
    public var sha256: String? { digest?.hex }

    /// Whether there is a ``wireValue`` to send, answered without copying it out.
    public var hasWireValue: Bool {
        switch transmission {
        case .sha256: digest != nil
        case .plain: true
        case .omit: false
        }
    }

    /// The string that goes into the request: the hash or the plain normalised value.
    public var wireValue: String? {
        switch transmission {
        case .sha256: sha256
        case .plain: normalized.unredactedValue
        case .omit: nil
        }
    }
}

/// Why an identifier cannot be normalised. The message names the rule, never the value.
public struct NormalizationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Which normalisation rule a (field, platform) pair follows: pairs with equal keys share one
/// normalised (and hashed) value.
public struct RuleKey: Hashable, Sendable {
    public enum Variant: Hashable, Sendable {
        case standard, gmailCanonical, e164Plus, e164Digits, fmn, alpha2Upper, google
    }
    public let field: IdentityField
    public let variant: Variant
    public let transmission: Transmission
}

/// What every identifier of one customer shares: the country, looked up once, and the phone
/// number parsed once by libphonenumber however many platforms want it.
///
/// Not `Sendable`: it lives inside one event's encoding.
public final class IdentityContext {
    let country: CountryTable.Country?
    /// The last phone number parsed and its E.164 form: one customer has one phone, which every
    /// platform's rule starts from (a dictionary cost a hash of the number per lookup and an
    /// allocation per order).
    var lastE164: (raw: String, parsed: Result<String, NormalizationError>)?

    public init(countryHint: RawPII?) {
        country = countryHint.flatMap { CountryTable.lookup($0.unredactedValue) }
    }
}

/// Normalises and hashes customer identifiers exactly as each platform documents it
/// (`destinations.md`; rules cited per field below).
public struct IdentityNormalizer: Sendable {
    public init() {}

    /// Normalises one identifier for one platform.
    ///
    /// - Parameter countryHint: the order's `customer.country`, used as the default region for
    ///   national phone numbers and to pick country-specific postal and state rules.
    public func normalize(
        _ field: IdentityField, _ value: RawPII, for platform: Platform, countryHint: RawPII? = nil
    ) throws(NormalizationError) -> NormalizedIdentifier {
        try normalize(field, value, for: platform, context: IdentityContext(countryHint: countryHint))
    }

    /// Normalises one identifier of the customer `context` describes, sharing the country
    /// lookup and the phone number's parse with every other field and platform of that customer.
    public func normalize(
        _ field: IdentityField, _ value: RawPII, for platform: Platform, context: IdentityContext
    ) throws(NormalizationError) -> NormalizedIdentifier {
        let raw = value.unredactedValue.trimmingWhitespace()
        guard !raw.isEmpty else { throw NormalizationError("empty value") }
        let transmission = Self.transmission(of: field, for: platform)
        // A value that already is a SHA-256 digest is passed through, lowercased, never re-hashed
        // (Meta SDK `is_already_hashed`; destinations.md §6.5). Plain fields are never digests.
        if transmission == .sha256, SHA256.isHexDigest(raw) {
            let digest = raw.lowercased()
            return NormalizedIdentifier(normalized: RawPII(digest), digest: SHA256Digest(hex: digest), transmission: .sha256)
        }
        let country = context.country
        let normalized: String
        switch field {
        case .email: normalized = try Self.email(raw, for: platform)
        case .phone: normalized = try Self.phone(raw, country: country, for: platform, context: context)
        case .firstName, .lastName: normalized = try Self.name(raw)
        case .city: normalized = try Self.lettersOnly(raw, what: "city")
        case .state: normalized = try Self.state(raw, country: country)
        case .postalCode:
            normalized =
                platform == .google ? try Self.googlePostalCode(raw, country: country) : try Self.postalCode(raw, country: country)
        case .country:
            // Google's regionCode is upper-case alpha-2 [§2 regionCode]; others lowercase [§1 country].
            normalized = platform == .google ? try Self.country(raw).uppercased() : try Self.country(raw)
        case .dateOfBirth: normalized = try Self.dateOfBirth(raw)
        case .gender: normalized = try Self.gender(raw, allowingUnspecified: platform == .pinterest)
        case .externalID: normalized = raw
        }
        switch transmission {
        case .sha256:
            return NormalizedIdentifier(
                normalized: RawPII(normalized), digest: SHA256.digest(normalized), transmission: .sha256)
        case .plain, .omit:
            return NormalizedIdentifier(normalized: RawPII(normalized), digest: nil, transmission: transmission)
        }
    }

    /// Which fields a platform wants hashed, plain or not at all.
    public static func transmission(of field: IdentityField, for platform: Platform) -> Transmission {
        switch (platform, field) {
        // Google: region and postal code are sent unhashed; city, state, birth date, gender and
        // external id are not Google Ads user identifiers [destinations.md §2 Normalization table].
        case (.google, .country), (.google, .postalCode): .plain
        case (.google, .city), (.google, .state), (.google, .dateOfBirth), (.google, .gender),
            (.google, .externalID):
            .omit
        // TikTok: only email, phone and external_id are documented in TikTok's own GTM template;
        // name and address rules are UNCONFIRMED (destinations.md §3), so we do not send them.
        case (.tiktok, .email), (.tiktok, .phone), (.tiktok, .externalID): .sha256
        case (.tiktok, _): .omit
        default: .sha256
        }
    }

    /// The (field, platform) pair's rule as a small integer, for a per-event cache indexed
    /// directly: pairs with equal ``ruleKey(_:for:)`` share a slot, and a pair the platform does
    /// not receive (``Transmission/omit``) has none. Slots are below ``ruleSlotCount``.
    @inline(__always)
    public static func ruleSlot(_ field: IdentityField, for platform: Platform) -> Int? {
        let slot = RuleSlots.table[RuleSlots.index(field, platform)]
        return slot < 0 ? nil : Int(slot)
    }

    /// How many distinct rules the (field, platform) pairs that are sent follow (at most 64, so a
    /// cache can mark computed slots in one `UInt64`).
    public static var ruleSlotCount: Int { RuleSlots.count }

    /// Two (field, platform) pairs with the same key produce the same normalised value, so the
    /// relay normalises and hashes each identifier once per key and shares it.
    public static func ruleKey(_ field: IdentityField, for platform: Platform) -> RuleKey {
        let variant: RuleKey.Variant
        switch (field, platform) {
        case (.email, .google): variant = .gmailCanonical
        case (.phone, .google), (.phone, .tiktok): variant = .e164Plus
        case (.phone, _): variant = .e164Digits
        case (.gender, .pinterest): variant = .fmn
        case (.country, .google): variant = .alpha2Upper
        case (.postalCode, .google): variant = .google
        default: variant = .standard
        }
        return RuleKey(field: field, variant: variant, transmission: transmission(of: field, for: platform))
    }

    // MARK: - Rules

    /// Meta/TikTok/Pinterest/Snapchat: trim, lowercase [destinations.md §0 "Email rule"].
    /// Google additionally removes all whitespace and, for gmail.com/googlemail.com only, drops
    /// dots and a `+tag` from the local part [destinations.md §2, Google formatting guide].
    static func email(_ raw: String, for platform: Platform) throws(NormalizationError) -> String {
        if let fast = try LatinRules.email(raw, google: platform == .google) { return fast }
        return try unicodeEmail(raw, for: platform)
    }

    /// The email rule for any input (``LatinRules/email(_:google:)`` is its fast path for Latin-script input).
    static func unicodeEmail(_ raw: String, for platform: Platform) throws(NormalizationError) -> String {
        var email = raw.lowercased()
        if platform == .google { email.removeAll { $0.isWhitespace } }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace)
        else {
            throw NormalizationError("not an email address")
        }
        if platform == .google, parts[1] == "gmail.com" || parts[1] == "googlemail.com" {
            var local = parts[0]
            if let plus = local.firstIndex(of: "+") { local = local[..<plus] }
            local.removeAll { $0 == "." }
            guard !local.isEmpty else { throw NormalizationError("not an email address") }
            return "\(local)@\(parts[1])"
        }
        return email
    }

    /// Digits with country code. Meta, Pinterest, Snapchat: no `+` [§1 `ph`, §4 `ph`, §5 `ph`];
    /// Google and TikTok: E.164 with `+` [§2 phoneNumber, §3 phone].
    ///
    /// Parsed by libphonenumber with the order's country as the default region (§6.2), so
    /// national numbers get their country code and lose the trunk prefix, and `+44 (0)20 …` loses
    /// the parenthesised trunk zero.
    static func phone(
        _ raw: String, country: CountryTable.Country?, for platform: Platform, context: IdentityContext
    ) throws(NormalizationError) -> String {
        let parsed: Result<String, NormalizationError>
        if let cached = context.lastE164, cached.raw == raw {
            parsed = cached.parsed
        } else {
            parsed = Result { () throws(NormalizationError) in try Self.e164(raw, country: country) }
            context.lastE164 = (raw, parsed)
        }
        let e164 = try parsed.get()
        switch platform {
        case .google, .tiktok: return e164
        case .meta, .pinterest, .snapchat: return String(e164.dropFirst())
        }
    }

    /// The number in E.164 with `+`: what every platform's phone rule starts from.
    static func e164(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String {
        // ASCII (the usual case): read byte by byte into a stack buffer.
        if let ascii = raw.utf8.withContiguousStorageIfAvailable({ asciiE164($0, country: country) }), let ascii {
            return try ascii.get()
        }
        return try unicodeE164(raw, country: country)
    }

    /// The E.164 rule for any input (``asciiE164(_:country:)`` is its fast path for ASCII input).
    static func unicodeE164(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String {
        guard !raw.unicodeScalars.contains(where: { $0.properties.isAlphabetic }) else {
            throw NormalizationError("phone number contains letters")
        }
        var text = raw.replacing("(0)", with: "")
        let trimmed = text.trimmingWhitespace()
        // "00" is the international prefix in most of the world; without a region, read it as "+".
        if country == nil, trimmed.hasPrefix("00") { text = "+" + trimmed.dropFirst(2) }
        return try formatted(PhoneNumberFormatter.e164(text, region: country?.alpha2), country: country)
    }

    private static func formatted(_ e164: String?, country: CountryTable.Country?) throws(NormalizationError) -> String {
        guard let e164 else {
            throw NormalizationError(
                country == nil
                    ? "not an international phone number, and customer.country is unknown"
                    : "not a possible phone number for the customer's country")
        }
        return e164
    }

    /// ``e164(_:country:)`` for ASCII text, with the same steps on bytes: letters refused, every
    /// `(0)` trunk marker removed, and without a region a leading `00` read as `+` (after
    /// trimming). `nil` when the text is not ASCII.
    private static func asciiE164(
        _ bytes: UnsafeBufferPointer<UInt8>, country: CountryTable.Country?
    ) -> Result<String, NormalizationError>? {
        for byte in bytes {
            guard byte < 0x80 else { return nil }
            if (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) {
                return .failure(NormalizationError("phone number contains letters"))
            }
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count + 1) { text in
            var count = 0
            var index = 0
            while index < bytes.count {
                if index + 2 < bytes.count, bytes[index] == UInt8(ascii: "("), bytes[index + 1] == UInt8(ascii: "0"),
                    bytes[index + 2] == UInt8(ascii: ")")
                {
                    index += 3
                    continue
                }
                text[count] = bytes[index]
                count += 1
                index += 1
            }
            var start = 0
            if country == nil {
                var first = 0
                var end = count
                while first < end, LatinRules.isASCIIWhitespace(text[first]) { first += 1 }
                while end > first, LatinRules.isASCIIWhitespace(text[end - 1]) { end -= 1 }
                // "00" is the international prefix in most of the world; without a region, read it as "+".
                if end - first >= 2, text[first] == UInt8(ascii: "0"), text[first + 1] == UInt8(ascii: "0") {
                    start = first + 1
                    text[start] = UInt8(ascii: "+")
                    count = end
                }
            }
            text[count] = 0
            let cString = UnsafeRawPointer(text.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            return Result { () throws(NormalizationError) in
                try formatted(PhoneNumberFormatter.e164(cString: cString, region: country?.alpha2), country: country)
            }
        }
    }

    /// Lowercase, punctuation removed, UTF-8 letters kept (`Valéry` → `valéry`) [§1 fn/ln].
    static func name(_ raw: String) throws(NormalizationError) -> String {
        if let fast = LatinRules.name(raw) {
            guard !fast.isEmpty else { throw NormalizationError("name has no letters") }
            return fast
        }
        return try unicodeName(raw)
    }

    /// The name rule for any input (``LatinRules/name(_:)`` is its fast path for Latin-script input).
    static func unicodeName(_ raw: String) throws(NormalizationError) -> String {
        let kept = raw.lowercased().unicodeScalars.filter {
            !$0.properties.generalCategory.isPunctuationOrSymbol
        }
        let name = String(String.UnicodeScalarView(kept)).trimmingWhitespace()
        guard !name.isEmpty else { throw NormalizationError("name has no letters") }
        return name
    }

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
        let lowered = raw.lowercased().trimmingWhitespace()
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
        let utf8 = raw.utf8
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        func isLowerLetter(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        return try ScratchBytes.with(capacity: utf8.count) { compact throws(NormalizationError) -> String in
            for byte in utf8 where byte != UInt8(ascii: " ") && byte != UInt8(ascii: "-") {
                compact.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 0x20 : byte)
            }
            if country?.alpha2 == "us" || country == nil && compact.count >= 5 && compact.bytes.allSatisfy(isDigit) {
                // In place: the digits only.
                var digits = 0
                for index in 0..<compact.count where isDigit(compact[index]) {
                    compact[digits] = compact[index]
                    digits += 1
                }
                guard digits == 5 || digits == 9 else { throw NormalizationError("not a US ZIP code") }
                return compact.string(0..<5)
            }
            guard compact.count > 0, compact.bytes.allSatisfy({ isDigit($0) || isLowerLetter($0) }) else {
                throw NormalizationError("postal code has characters other than letters and digits")
            }
            return compact.string()
        }
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

    /// `YYYYMMDD` from `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, `MM/DD/YYYY` (US order, as Meta's
    /// example `2/16/1997` → `19970216`) and `DD.MM.YYYY` [§1 db].
    static func dateOfBirth(_ raw: String) throws(NormalizationError) -> String {
        let text = raw.trimmingWhitespace()
        let separators: Set<Character> = ["-", "/", "."]
        let parts = text.split(whereSeparator: { separators.contains($0) }).map(String.init)
        var year = 0
        var month = 0
        var day = 0
        if parts.count == 1, text.count == 8, let number = Int(text) {
            (year, month, day) = (number / 10_000, number / 100 % 100, number % 100)
        } else if parts.count == 3, let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2]) {
            if parts[0].count == 4 {
                (year, month, day) = (a, b, c)
            } else if parts[2].count == 4 {
                if text.contains(".") || a > 12 { (day, month, year) = (a, b, c) } else { (month, day, year) = (a, b, c) }
            } else {
                throw NormalizationError("date of birth needs a four-digit year")
            }
        } else {
            throw NormalizationError("unrecognised date of birth format")
        }
        guard (1900...2100).contains(year), (1...12).contains(month), day >= 1,
            day <= RFC3339Calendar.daysInMonth(year: year, month: month)
        else { throw NormalizationError("impossible date of birth") }
        func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)\(pad(month))\(pad(day))"
    }

    /// `f` or `m` [§1 ge]; Pinterest also takes `n` [§4 ge].
    static func gender(_ raw: String, allowingUnspecified: Bool) throws(NormalizationError) -> String {
        switch raw.lowercased().trimmingWhitespace() {
        case "f", "female", "woman", "w": return "f"
        case "m", "male", "man": return "m"
        case "n", "non-binary", "nonbinary", "other":
            guard allowingUnspecified else { throw NormalizationError("gender must be f or m") }
            return "n"
        default: throw NormalizationError(allowingUnspecified ? "gender must be f, m or n" : "gender must be f or m")
        }
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

enum RFC3339Calendar {
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension Unicode.GeneralCategory {
    var isPunctuationOrSymbol: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            true
        default: false
        }
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

/// ``IdentityNormalizer/ruleSlot(_:for:)``'s table, worked out once from ``IdentityNormalizer/ruleKey(_:for:)``.
private enum RuleSlots {
    static let fields = IdentityField.allCases
    static let platforms = Platform.allCases

    @inline(__always)
    static func index(_ field: IdentityField, _ platform: Platform) -> Int {
        field.ordinal &* platforms.count &+ platform.ordinal
    }

    static let (table, count): ([Int8], Int) = {
        var keys: [RuleKey] = []
        var table = [Int8](repeating: -1, count: fields.count * platforms.count)
        for field in fields {
            for platform in platforms where IdentityNormalizer.transmission(of: field, for: platform) != .omit {
                let key = IdentityNormalizer.ruleKey(field, for: platform)
                let slot = keys.firstIndex(of: key) ?? keys.count
                if slot == keys.count { keys.append(key) }
                table[index(field, platform)] = Int8(slot)
            }
        }
        precondition(keys.count <= 64, "a cache marks computed slots in one UInt64")
        return (table, keys.count)
    }()
}

extension IdentityField {
    /// The case's position in `allCases` (for tables and bit sets indexed by field).
    public var ordinal: Int {
        switch self {
        case .email: 0
        case .phone: 1
        case .firstName: 2
        case .lastName: 3
        case .city: 4
        case .state: 5
        case .postalCode: 6
        case .country: 7
        case .dateOfBirth: 8
        case .gender: 9
        case .externalID: 10
        }
    }
}

extension Platform {
    /// The case's position in `allCases`.
    var ordinal: Int {
        switch self {
        case .meta: 0
        case .google: 1
        case .tiktok: 2
        case .pinterest: 3
        case .snapchat: 4
        }
    }
}
