import CPhoneNumber

/// E.164 formatting through Google's libphonenumber, the field's reference implementation.
///
/// National numbers are read in the order's country (`020 7946 0958` in GB → `+442079460958`),
/// international prefixes and trunk zeros are handled by the library's per-country metadata
/// (`+44 (0)20 …`, `0049 …` in DE), which every SDK normaliser in destinations.md §6.2 gets wrong.
enum PhoneNumberFormatter {
    /// `nil` when the text is not a phone number worth sending for the region: not possible for its
    /// plan, local-only, over 15 digits, or neither valid nor of a mobile length (CPhoneNumber.h).
    static func e164(_ text: String, region: String?) -> String? {
        text.withCString { e164(cString: $0, region: region) }
    }

    /// The same for NUL-terminated text (the normaliser passes it from a stack buffer).
    static func e164(cString text: UnsafePointer<CChar>, region: String?) -> String? {
        format(text, region: region, through: relay_cshim_phone_format_e164)
    }

    /// The same as bytes, held inline (no `String`): what the normaliser keeps per customer.
    /// The region is the country's alpha-2 code as two ASCII bytes (``CountryTable/Country/alpha2Bytes``).
    static func e164Bytes(cString text: UnsafePointer<CChar>, region: UInt16?) -> NormalizedBytes? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { output in
            let length = withRegionCode(region) { relay_cshim_phone_format_e164(text, $0, output.baseAddress, output.count) }
            guard length > 0 else { return nil }
            return output.baseAddress!.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                NormalizedBytes(inline: UnsafeBufferPointer(start: $0, count: Int(length)))
            }
        }
    }

    /// The same through libphonenumber's full parse only: the reference for the shortcut
    /// ``e164(_:region:)`` takes for common shapes (tests compare the two).
    static func e164ThroughFullParse(_ text: String, region: String?) -> String? {
        text.withCString { format($0, region: region, through: relay_cshim_phone_format_e164_parsed) }
    }

    /// Whether the number of `countryCode` whose national significant number is `national` (digits,
    /// no leading 0, at most 15) is valid: through the shortcut's compiled patterns, or through
    /// libphonenumber's IsValidNumber (`throughLibrary`, the reference). `nil` for other text.
    static func isValid(countryCode: Int, national: String, throughLibrary: Bool) -> Bool? {
        var digits = national
        let answer = digits.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                relay_cshim_phone_is_valid(Int32(countryCode), $0.baseAddress, $0.count, throughLibrary ? 1 : 0)
            }
        }
        return answer < 0 ? nil : answer == 1
    }

    /// How the relay's automata of libphonenumber's national number patterns (CPhoneNumber's
    /// digit_pattern.h, which answer for ICU in the validity check) compare with ICU's full match on
    /// `numbersPerPattern` digit strings per pattern of the metadata: the disagreements, the
    /// patterns, and how many of them have an automaton. For tests.
    static func patternAutomataAgreement(numbersPerPattern: Int) -> (disagreements: Int, patterns: Int, compiled: Int) {
        var patterns: Int32 = 0
        var compiled: Int32 = 0
        let disagreements = relay_cshim_phone_patterns_agree(Int32(numbersPerPattern), &patterns, &compiled)
        return (Int(disagreements), Int(patterns), Int(compiled))
    }

    private static func format(
        _ text: UnsafePointer<CChar>, region: String?,
        through formatter: (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int32
    ) -> String? {
        // E.164 is at most 16 characters: the stack is enough, and the result is usually a small
        // (inline) String, so formatting allocates nothing.
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { output in
            let length = withRegionCode(region) { formatter(text, $0, output.baseAddress, output.count) }
            guard length > 0 else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: output.baseAddress, count: Int(length)), as: UTF8.self)
        }
    }

    /// The same for a code held as two ASCII bytes, the first in the low byte.
    private static func withRegionCode<Result>(_ region: UInt16?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
        guard let region else { return body(nil) }
        var code: (UInt8, UInt8, UInt8) = (
            LatinRules.uppercased(UInt8(truncatingIfNeeded: region)), LatinRules.uppercased(UInt8(truncatingIfNeeded: region >> 8)), 0
        )
        return withUnsafeBytes(of: &code) { body($0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
    }

    /// Calls `body` with the region upper-cased as libphonenumber wants it (NUL-terminated), or
    /// with `nil`. A two-letter ASCII code is upper-cased on the stack, without a new String.
    private static func withRegionCode<Result>(_ region: String?, _ body: (UnsafePointer<CChar>?) -> Result) -> Result {
        guard let region else { return body(nil) }
        let utf8 = region.utf8
        guard utf8.count == 2, let first = utf8.first, let last = utf8.last, first < 0x80, last < 0x80 else {
            return region.uppercased().withCString(body)
        }
        var code: (UInt8, UInt8, UInt8) = (LatinRules.uppercased(first), LatinRules.uppercased(last), 0)
        return withUnsafeBytes(of: &code) { body($0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
    }
}
