import RelayCore
import RelayCrypto

/// An identifier after normalisation, ready to send, as normalised in a customer's
/// ``IdentityContext``.
///
/// The normalised value is still personal data: its bytes are held as ``NormalizedBytes``
/// (inline, no `String` per value; redacted when printed), and ``normalized`` makes a ``RawPII``
/// of them for cold paths. Trivially copyable; a value longer than
/// ``NormalizedBytes/inlineCapacity`` lives in the context, so the identifier is valid while the
/// context lives (``OwnedIdentifier`` is the form that holds its value itself).
public struct NormalizedIdentifier: Equatable {
    /// The normalised value's UTF-8 bytes.
    public let value: NormalizedBytes
    /// SHA-256 of the normalised value when the platform wants it hashed, or the value the shop sent when
    /// it already was a SHA-256 digest (never hashed twice). Held inline: no 64-character string
    /// per identifier; encoders write its digits straight into the request (``SHA256Digest/writeHex(to:)``).
    public let digest: SHA256Digest?
    public let transmission: Transmission

    init(value: NormalizedBytes, digest: SHA256Digest?, transmission: Transmission) {
        self.value = value
        self.digest = digest
        self.transmission = transmission
    }

    /// The normalised value as a ``RawPII`` (a new `String`: for tools, tests and cold paths).
    public var normalized: RawPII { RawPII(value.string) }

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
        case .plain: value.string
        case .omit: nil
        }
    }
}

/// An identifier normalised on its own (``IdentityNormalizer/normalize(_:_:for:countryHint:)``):
/// ``NormalizedIdentifier``'s content, its value held as a ``RawPII`` of its own, so it is valid
/// without the context it was normalised in (tools, tests, cold paths).
public struct OwnedIdentifier: Sendable, Equatable {
    /// The normalised value (personal data: redacted when printed).
    public let normalized: RawPII
    /// As ``NormalizedIdentifier/digest``.
    public let digest: SHA256Digest?
    public let transmission: Transmission

    /// `identifier`'s content, its value copied out (valid after the identifier's context).
    public init(_ identifier: NormalizedIdentifier) {
        normalized = identifier.normalized
        digest = identifier.digest
        transmission = identifier.transmission
    }

    /// ``digest`` as 64 lowercase hexadecimal digits.
    public var sha256: String? { digest?.hex }

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
        case standard, gmailCanonical, e164Plus, e164Digits, fmn, alpha2Upper, google, tiktok, subdivisionCode
    }
    public let field: IdentityField
    public let variant: Variant
    public let transmission: Transmission
}

/// Normalises and hashes customer identifiers exactly as each platform documents it
/// (`destinations.md`; rules cited per field below).
public struct IdentityNormalizer: Sendable {
    public init() {}

    /// Normalises one identifier for one platform, on its own (tools, tests): the result holds its
    /// value itself.
    ///
    /// - Parameter countryHint: the order's `customer.country`, used as the default region for
    ///   national phone numbers and to pick country-specific postal and state rules.
    public func normalize(
        _ field: IdentityField, _ value: RawPII, for platform: Platform, countryHint: RawPII? = nil
    ) throws(NormalizationError) -> OwnedIdentifier {
        let context = IdentityContext(countryHint: countryHint)
        return OwnedIdentifier(try normalize(field, value, for: platform, context: context))
    }

    /// Normalises one identifier of the customer `context` describes, sharing the country
    /// lookup, the phone number's parse and one byte buffer with every other field and platform
    /// of that customer. The value is read as bytes and normalised byte by byte into the
    /// customer's buffer and hashed from there (``normalizeBytes(_:_:for:transmission:context:into:)``);
    /// what that path does not handle (other scripts, rare fields, names with a title) takes the
    /// general rules on `String` (``normalizeText(_:_:for:context:)``), which give the same output.
    public func normalize(
        _ field: IdentityField, _ value: RawPII, for platform: Platform, context: IdentityContext
    ) throws(NormalizationError) -> NormalizedIdentifier {
        let transmission = Self.transmission(of: field, for: platform)
        // Trivially copyable: moved out and deallocated, nothing to destroy.
        let slot = UnsafeMutablePointer<NormalizedIdentifier>.allocate(capacity: 1)
        defer { slot.deallocate() }
        let outcome = value.withUTF8 { raw in
            Self.normalizeBytes(field, raw, for: platform, transmission: transmission, context: context, into: slot)
        }
        switch outcome {
        case .normalized: return slot.move()
        case .failed(let error): throw error
        case .general: return try normalizeText(field, value, for: platform, context: context)
        }
    }

    /// The general rules alone (``normalizeText(_:_:for:context:)``) into `slot` (uninitialised
    /// memory, initialised when this returns `true`); `false` when the value cannot be
    /// normalised. For a cache whose ``normalize(_:utf8:for:context:into:)`` answered `nil`: the
    /// byte path is not run a second time.
    public func normalizeByGeneralRules(
        _ field: IdentityField, _ value: RawPII, for platform: Platform, context: IdentityContext,
        into slot: UnsafeMutablePointer<NormalizedIdentifier>
    ) -> Bool {
        guard let identifier = try? normalizeText(field, value, for: platform, context: context) else { return false }
        slot.initialize(to: identifier)
        return true
    }

    /// The byte-level path of ``normalize(_:_:for:context:)`` on the value's UTF-8 bytes
    /// `raw`, for a caller that reads them in place (no ``RawPII`` copied out of its event):
    /// `true` with the identifier initialised in `slot`, `false` when the value cannot be
    /// normalised, `nil` when the general rules must decide (call
    /// ``normalizeByGeneralRules(_:_:for:context:into:)`` with the value).
    ///
    /// Inlinable: the cache calls it for every value it works out, and returns as it answers.
    @inlinable
    public func normalize(
        _ field: IdentityField, utf8 raw: UnsafeBufferPointer<UInt8>, for platform: Platform, context: IdentityContext,
        into slot: UnsafeMutablePointer<NormalizedIdentifier>
    ) -> Bool? {
        let transmission = Self.transmission(of: field, for: platform)
        switch Self.normalizeBytes(field, raw, for: platform, transmission: transmission, context: context, into: slot) {
        case .normalized: return true
        case .failed: return false
        case .general: return nil
        }
    }

    /// The general rules, on `String`: every input, the reference for the byte-level path
    /// (tests compare the two).
    func normalizeText(
        _ field: IdentityField, _ value: RawPII, for platform: Platform, context: IdentityContext
    ) throws(NormalizationError) -> NormalizedIdentifier {
        let raw = value.unredactedValue.trimmingWhitespace()
        // Blank as `RawPII.isBlank` has it (every character whitespace: a space and a combining
        // mark are one character, trimmed to the mark alone above), so a caller need not ask
        // `isBlank` first: no value it calls blank is normalised. The byte path sends every such
        // value here (a mark is not a Latin letter, and the other whitespace is not ASCII).
        guard !raw.isEmpty, !value.isBlank else { throw NormalizationError("empty value") }
        let transmission = Self.transmission(of: field, for: platform)
        // A value that already is a SHA-256 digest is passed through, lowercased, never re-hashed
        // (Meta SDK `is_already_hashed`; destinations.md §6.5). Plain fields are never digests.
        if transmission == .sha256, SHA256.isHexDigest(raw) {
            let digest = raw.lowercased()
            return NormalizedIdentifier(
                value: NormalizedBytes(digest, in: context), digest: SHA256Digest(hex: digest), transmission: .sha256)
        }
        let country = context.country
        let normalized: String
        switch field {
        case .email: normalized = try Self.email(raw, for: platform)
        case .phone: normalized = try Self.phone(raw, country: country, for: platform)
        case .firstName, .lastName:
            switch platform {
            case .google: normalized = try Self.googleName(raw)
            case .tiktok: normalized = try Self.tiktokName(raw)
            case .meta, .pinterest, .snapchat: normalized = try Self.name(raw)
            }
        case .city: normalized = try Self.lettersOnly(raw, what: "city")
        case .state:
            switch platform {
            case .tiktok: normalized = try Self.lettersOnly(raw, what: "state")
            case .pinterest: normalized = try Self.subdivisionCode(raw, country: country)
            case .meta, .google, .snapchat: normalized = try Self.state(raw, country: country)
            }
        case .postalCode:
            switch platform {
            case .google: normalized = try Self.googlePostalCode(raw, country: country)
            case .tiktok: normalized = try Self.tiktokPostalCode(raw)
            case .meta, .pinterest, .snapchat: normalized = try Self.postalCode(raw, country: country)
            }
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
                value: NormalizedBytes(normalized, in: context), digest: context.digest(of: normalized), transmission: .sha256)
        case .plain, .omit:
            return NormalizedIdentifier(value: NormalizedBytes(normalized, in: context), digest: nil, transmission: transmission)
        }
    }

    /// Which fields a platform wants hashed, plain or not at all.
    @inlinable
    public static func transmission(of field: IdentityField, for platform: Platform) -> Transmission {
        switch (platform, field) {
        // Google: region and postal code are sent unhashed; city, state, birth date, gender and
        // external id are not Google Ads user identifiers [destinations.md §2 Normalization table].
        case (.google, .country), (.google, .postalCode): .plain
        case (.google, .city), (.google, .state), (.google, .dateOfBirth), (.google, .gender),
            (.google, .externalID):
            .omit
        // TikTok: names and zip code hashed, city, state and country plain, as Segment
        // (action-destinations tiktok-conversions/reportWebEvent/utils.ts getUser) and Stape
        // (stape-io/tiktok-tag template.js hashDataIfNeeded) send them; TikTokDestination leaves
        // the name and address out when its `sendNameAndAddress` switch is off.
        case (.tiktok, .email), (.tiktok, .phone), (.tiktok, .externalID), (.tiktok, .firstName), (.tiktok, .lastName),
            (.tiktok, .postalCode):
            .sha256
        case (.tiktok, .city), (.tiktok, .state), (.tiktok, .country): .plain
        case (.tiktok, .dateOfBirth), (.tiktok, .gender): .omit
        default: .sha256
        }
    }

    /// The (field, platform) pair's rule as a small integer, for a per-event cache indexed
    /// directly: pairs with equal ``ruleKey(_:for:)`` share a slot, and a pair the platform does
    /// not receive (``Transmission/omit``) has none. Slots are below ``ruleSlotCount``.
    ///
    /// Written out as a switch, inlinable where the cache asks (dozens of times an order): the table
    /// worked out from the keys (``ruleSlotFromKeys(_:for:)``) cost a lazy global's check and a
    /// bounds check per call. A test holds the two equal for every pair.
    @inlinable @inline(__always)
    public static func ruleSlot(_ field: IdentityField, for platform: Platform) -> Int? {
        switch field {
        case .email: return platform == .google ? 1 : 0
        case .phone: return platform == .google ? 3 : platform == .tiktok ? 4 : 2
        case .firstName: return platform == .google ? 6 : platform == .tiktok ? 7 : 5
        case .lastName: return platform == .google ? 9 : platform == .tiktok ? 10 : 8
        case .city: return platform == .google ? nil : platform == .tiktok ? 12 : 11
        case .state:
            switch platform {
            case .google: return nil
            case .tiktok: return 14
            case .pinterest: return 15
            case .meta, .snapchat: return 13
            }
        case .postalCode: return platform == .google ? 17 : platform == .tiktok ? 18 : 16
        case .country: return platform == .google ? 20 : platform == .tiktok ? 21 : 19
        case .dateOfBirth: return platform == .google || platform == .tiktok ? nil : 22
        case .gender:
            switch platform {
            case .google, .tiktok: return nil
            case .pinterest: return 24
            case .meta, .snapchat: return 23
            }
        case .externalID: return platform == .google ? nil : 25
        }
    }

    /// The field of every pair whose rule has `slot` (a slot's pairs share their field: the field
    /// is part of the rule key), so a cache can work a slot out knowing only the slot and the
    /// platform asking. Written out as ``ruleSlot(_:for:)`` is; a test holds the two consistent.
    @inlinable @inline(__always)
    public static func ruleField(slot: Int) -> IdentityField {
        switch slot {
        case 0, 1: .email
        case 2, 3, 4: .phone
        case 5, 6, 7: .firstName
        case 8, 9, 10: .lastName
        case 11, 12: .city
        case 13, 14, 15: .state
        case 16, 17, 18: .postalCode
        case 19, 20, 21: .country
        case 22: .dateOfBirth
        case 23, 24: .gender
        default: .externalID
        }
    }

    /// The slots whose rules are `field`'s (every `s` with ``ruleField(slot:)`` equal to `field`),
    /// as a slot set: identifiers in these slots often agree (a name for Meta, Google and TikTok),
    /// so a cache can look there for a digest it already formatted. Written out; a test holds it
    /// equal to ``ruleField(slot:)``.
    @inlinable @inline(__always)
    public static func ruleSlotBits(of field: IdentityField) -> UInt64 {
        switch field {
        case .email: 0b11
        case .phone: 0b111 << 2
        case .firstName: 0b111 << 5
        case .lastName: 0b111 << 8
        case .city: 0b11 << 11
        case .state: 0b111 << 13
        case .postalCode: 0b111 << 16
        case .country: 0b111 << 19
        case .dateOfBirth: 1 << 22
        case .gender: 0b11 << 23
        case .externalID: 1 << 25
        }
    }

    /// Bit `ruleSlot(field, for: platform)` of a slot set, or 0 when the platform does not receive
    /// the field. Inlined with constant arguments it is a constant.
    @inlinable @inline(__always)
    public static func ruleSlotBit(_ field: IdentityField, for platform: Platform) -> UInt64 {
        guard let slot = ruleSlot(field, for: platform) else { return 0 }
        return 1 << UInt64(slot)
    }

    /// ``ruleSlot(_:for:)`` as worked out from ``ruleKey(_:for:)`` and ``transmission(of:for:)``:
    /// the definition the switch is tested against.
    static func ruleSlotFromKeys(_ field: IdentityField, for platform: Platform) -> Int? {
        let slot = RuleSlots.table[RuleSlots.index(field, platform)]
        return slot < 0 ? nil : Int(slot)
    }

    /// The other slots whose rule is `slot`'s but whose transmission differs (the same field and
    /// variant, ``RuleKey``): a city or a country, hashed for some platforms and sent plain to
    /// TikTok. Their values are the same but for a value already hashed (``plainCopy(of:into:)``).
    /// Written out as ``ruleSlot(_:for:)`` is (the table a lazy global, checked on every call); a
    /// test holds it equal to ``sameRuleSlotBitsFromKeys(slot:)``.
    @inlinable @inline(__always)
    public static func sameRuleSlotBits(slot: Int) -> UInt64 {
        switch slot {
        case 11: 1 << 12
        case 12: 1 << 11
        case 19: 1 << 21
        case 21: 1 << 19
        default: 0
        }
    }

    /// ``sameRuleSlotBits(slot:)`` as worked out from ``ruleKey(_:for:)``: the definition the
    /// switch is tested against.
    static func sameRuleSlotBitsFromKeys(slot: Int) -> UInt64 { RuleSlots.sameRule[slot] }

    /// Initialises `identifier` as the plain identifier of the same rule as `hashed` and returns
    /// `true`, or returns `false` when `hashed` is not a hashed identifier whose value its rule
    /// wrote: a value of a digest's 64 characters may be one the shop sent already hashed,
    /// passed through where it is hashed and normalised by the rule where it is plain.
    public static func plainCopy(
        of hashed: UnsafePointer<NormalizedIdentifier>, into identifier: UnsafeMutablePointer<NormalizedIdentifier>
    ) -> Bool {
        guard hashed.pointee.transmission == .sha256, hashed.pointee.value.count != SHA256Digest.hexCount else { return false }
        identifier.initialize(to: NormalizedIdentifier(value: hashed.pointee.value, digest: nil, transmission: .plain))
        return true
    }

    /// How many distinct rules the (field, platform) pairs that are sent follow (at most 64, so a
    /// cache can mark computed slots in one `UInt64`): a constant, as ``ruleSlot(_:for:)`` is
    /// written out; a test holds it equal to ``ruleSlotCountFromKeys``.
    @inlinable
    public static var ruleSlotCount: Int { 26 }

    /// ``ruleSlotCount`` as worked out from ``ruleKey(_:for:)``.
    static var ruleSlotCountFromKeys: Int { RuleSlots.count }

    /// Two (field, platform) pairs with the same key produce the same normalised value, so the
    /// relay normalises and hashes each identifier once per key and shares it.
    public static func ruleKey(_ field: IdentityField, for platform: Platform) -> RuleKey {
        let variant: RuleKey.Variant
        switch (field, platform) {
        case (.email, .google): variant = .gmailCanonical
        case (.phone, .google): variant = .e164Plus
        case (.phone, .tiktok), (.firstName, .tiktok), (.lastName, .tiktok), (.state, .tiktok), (.postalCode, .tiktok):
            variant = .tiktok
        case (.phone, _): variant = .e164Digits
        case (.gender, .pinterest): variant = .fmn
        case (.state, .pinterest): variant = .subdivisionCode
        case (.country, .google): variant = .alpha2Upper
        case (.postalCode, .google), (.firstName, .google), (.lastName, .google): variant = .google
        default: variant = .standard
        }
        return RuleKey(field: field, variant: variant, transmission: transmission(of: field, for: platform))
    }
}

/// ``IdentityNormalizer/ruleSlot(_:for:)``'s table, worked out once from ``IdentityNormalizer/ruleKey(_:for:)``.
private enum RuleSlots {
    static let fields = IdentityField.allCases
    static let platforms = Platform.allCases

    @inline(__always)
    static func index(_ field: IdentityField, _ platform: Platform) -> Int {
        field.ordinal &* platforms.count &+ platform.ordinal
    }

    /// Per slot, the other slots with the same field and variant (``RuleKey``) but another
    /// transmission: the same rule, hashed in one and sent plain in the other.
    static let sameRule: [UInt64] = {
        var keys: [RuleKey] = Array(repeating: RuleKey(field: .email, variant: .standard, transmission: .omit), count: count)
        for field in fields {
            for platform in platforms {
                let slot = table[index(field, platform)]
                if slot >= 0 { keys[Int(slot)] = IdentityNormalizer.ruleKey(field, for: platform) }
            }
        }
        return keys.map { key in
            keys.indices.reduce(0) { bits, other in
                keys[other].field == key.field && keys[other].variant == key.variant && keys[other].transmission != key.transmission
                    ? bits | 1 << UInt64(other) : bits
            }
        }
    }()

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
