// The phone rule: E.164 through libphonenumber [destinations.md §6.2].
extension IdentityNormalizer {
    /// Digits with country code. Meta, Pinterest, Snapchat: no `+` [§1 `ph`, §4 `ph`, §5 `ph`];
    /// Google and TikTok: E.164 with `+` [§2 phoneNumber, §3 phone], except that TikTok wants
    /// Chinese (+86) numbers without their country code.
    ///
    /// Parsed by libphonenumber with the order's country as the default region (§6.2), so
    /// national numbers get their country code and lose the trunk prefix, and `+44 (0)20 …` loses
    /// the parenthesised trunk zero.
    static func phone(_ raw: String, country: CountryTable.Country?, for platform: Platform) throws(NormalizationError) -> String {
        // Parsed once per customer on the byte path (``IdentityContext/withRememberedE164(for:_:)``);
        // this general path (text that is not ASCII) parses each time.
        let e164 = try Self.e164(raw, country: country)
        switch platform {
        case .google: return e164
        // TikTok's own server-side template (tiktok/gtm-template-eapi template.tpl, phone help):
        // "If the country code is 86, then do not include country code (example: 13800000000)".
        case .tiktok: return e164.hasPrefix("+86") ? String(e164.dropFirst(3)) : e164
        case .meta, .pinterest, .snapchat: return String(e164.dropFirst())
        }
    }

    /// Initialises `identifier` as a copy of `other`, the phone's identifier for the other of
    /// Google and TikTok, and returns `true` when it is `platform`'s too: TikTok's rule differs
    /// from Google's only for a Chinese number (+86), which it sends without its country code.
    /// From Google's: any value but one starting with "+86" (a value already hashed is passed
    /// through by both). From TikTok's: a value starting with "+" (not a Chinese number, nor
    /// one already hashed). `false` for other platforms.
    public static func phoneCopy(
        of other: UnsafePointer<NormalizedIdentifier>, for platform: Platform, into identifier: UnsafeMutablePointer<NormalizedIdentifier>
    ) -> Bool {
        let same = other.pointee.value.withUTF8 { value in
            let plus = value.first == UInt8(ascii: "+")
            switch platform {
            case .tiktok: return !(plus && value.count >= 3 && value[1] == UInt8(ascii: "8") && value[2] == UInt8(ascii: "6"))
            case .google: return plus
            case .meta, .pinterest, .snapchat: return false
            }
        }
        guard same else { return false }
        identifier.initialize(to: other.pointee)
        return true
    }

    /// The number in E.164 with `+`: what every platform's phone rule starts from.
    static func e164(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String {
        // ASCII (the usual case): read byte by byte into a stack buffer.
        if let ascii = raw.utf8.withContiguousStorageIfAvailable({ asciiE164($0, country: country) }), let ascii {
            return try ascii.get().string
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

    private static func formatted<Number>(_ e164: Number?, country: CountryTable.Country?) throws(NormalizationError) -> Number {
        guard let e164 else { throw notPossible(country: country) }
        return e164
    }

    /// Why a number that libphonenumber does not accept is left out.
    static func notPossible(country: CountryTable.Country?) -> NormalizationError {
        NormalizationError(
            country == nil
                ? "not an international phone number, and customer.country is unknown"
                : "not a possible phone number for the customer's country")
    }

    /// ``e164(_:country:)`` for ASCII text, with the same steps on bytes: letters refused, every
    /// `(0)` trunk marker removed, and without a region a leading `00` read as `+` (after
    /// trimming). `nil` when the text is not ASCII.
    static func asciiE164(
        _ bytes: UnsafeBufferPointer<UInt8>, country: CountryTable.Country?
    ) -> Result<NormalizedBytes, NormalizationError>? {
        let end = bytes.count
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: end + 1) { text -> Result<NormalizedBytes, NormalizationError>? in
            // One pass, in order: a byte that is not ASCII (nil) or a letter (refused), whichever
            // comes first, decides; the other bytes are copied, every `(0)` left out.
            var count = 0
            var index = 0
            while index < end {
                let byte = bytes[index]
                guard byte < 0x80 else { return nil }
                if LatinRules.isASCIILetter(byte) { return .failure(NormalizationError("phone number contains letters")) }
                if byte == UInt8(ascii: "("), end &- index > 2, bytes[index &+ 1] == UInt8(ascii: "0"),
                    bytes[index &+ 2] == UInt8(ascii: ")")
                {
                    index &+= 3
                    continue
                }
                text[count] = byte
                count &+= 1
                index &+= 1
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
                try formatted(PhoneNumberFormatter.e164Bytes(cString: cString, region: country?.alpha2Bytes), country: country)
            }
        }
    }
}
