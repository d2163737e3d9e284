/// States and provinces as ISO 3166-2 subdivision codes, for platforms that ask for a code
/// (Pinterest's `st`: "two-letter code", pinterest/api-description v5/openapi.yaml), in the
/// countries whose code is what addresses carry (the keys of ``table``, generated into
/// `SubdivisionTable+ISO3166-2.swift` by scripts/generate-subdivision-table.py).
enum SubdivisionCodes {
    /// The subdivision part of the ISO 3166-2 code, lower case (`Bayern`, `BY`, `DE-BY` → `by`),
    /// or `nil` when the country is not mapped or the text names none of its subdivisions.
    static func code(_ raw: String, country: String) -> String? {
        guard let subdivisions = table[country] else { return nil }
        var text = raw.lowercased()
        // `DE-BY`: the full ISO 3166-2 code.
        if text.utf8.count > 3, text.hasPrefix(country + "-") { text.removeFirst(3) }
        let key = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.isAlphabetic }))
        return subdivisions[key]
    }
}

extension IdentityNormalizer {
    /// Pinterest's `st`, "two-letter code" (pinterest/api-description v5/openapi.yaml): the ISO
    /// 3166-2 subdivision code, lower case, where ``SubdivisionCodes`` maps the order's country
    /// (a name or code it does not know there is left out); without a country, US state names and
    /// codes; in any other country, a value that already is two ASCII letters is sent lower-cased,
    /// and a name is left out, since a name where a code is asked for cannot match.
    static func subdivisionCode(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String {
        let alpha2 = country?.alpha2 ?? "us"
        if SubdivisionCodes.table[alpha2] != nil {
            guard let code = SubdivisionCodes.code(raw, country: alpha2) else {
                throw NormalizationError("not a subdivision of the order's country")
            }
            return code
        }
        let lowered = raw.lowercased()
        guard lowered.utf8.count == 2, lowered.utf8.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else {
            throw NormalizationError("no subdivision code for this country")
        }
        return lowered
    }
}
