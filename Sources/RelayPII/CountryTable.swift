/// ISO 3166-1 countries we recognise by alpha-2, alpha-3 and English name, with their ITU calling
/// codes (used to complete national phone numbers).
enum CountryTable {
    struct Country {
        let alpha2: String
        let alpha3: String
        let names: [String]
        let callingCode: String
        /// National significant number lengths without trunk prefix, for sanity checks.
        let trunkPrefix: String?
    }

    // Sources: ISO 3166-1 (alpha codes), ITU-T E.164 assigned country codes.
    static let countries: [Country] = [
        Country(alpha2: "us", alpha3: "usa", names: ["united states", "united states of america", "usa", "us", "america"], callingCode: "1", trunkPrefix: "1"),
        Country(alpha2: "ca", alpha3: "can", names: ["canada"], callingCode: "1", trunkPrefix: "1"),
        Country(alpha2: "gb", alpha3: "gbr", names: ["united kingdom", "great britain", "uk", "england", "scotland", "wales", "northern ireland"], callingCode: "44", trunkPrefix: "0"),
        Country(alpha2: "ie", alpha3: "irl", names: ["ireland"], callingCode: "353", trunkPrefix: "0"),
        Country(alpha2: "de", alpha3: "deu", names: ["germany", "deutschland"], callingCode: "49", trunkPrefix: "0"),
        Country(alpha2: "at", alpha3: "aut", names: ["austria", "österreich"], callingCode: "43", trunkPrefix: "0"),
        Country(alpha2: "ch", alpha3: "che", names: ["switzerland", "schweiz", "suisse"], callingCode: "41", trunkPrefix: "0"),
        Country(alpha2: "fr", alpha3: "fra", names: ["france"], callingCode: "33", trunkPrefix: "0"),
        Country(alpha2: "be", alpha3: "bel", names: ["belgium", "belgique", "belgië"], callingCode: "32", trunkPrefix: "0"),
        Country(alpha2: "nl", alpha3: "nld", names: ["netherlands", "the netherlands", "holland", "nederland"], callingCode: "31", trunkPrefix: "0"),
        Country(alpha2: "lu", alpha3: "lux", names: ["luxembourg"], callingCode: "352", trunkPrefix: nil),
        Country(alpha2: "es", alpha3: "esp", names: ["spain", "españa"], callingCode: "34", trunkPrefix: nil),
        Country(alpha2: "pt", alpha3: "prt", names: ["portugal"], callingCode: "351", trunkPrefix: nil),
        Country(alpha2: "it", alpha3: "ita", names: ["italy", "italia"], callingCode: "39", trunkPrefix: nil),
        Country(alpha2: "dk", alpha3: "dnk", names: ["denmark", "danmark"], callingCode: "45", trunkPrefix: nil),
        Country(alpha2: "se", alpha3: "swe", names: ["sweden", "sverige"], callingCode: "46", trunkPrefix: "0"),
        Country(alpha2: "no", alpha3: "nor", names: ["norway", "norge"], callingCode: "47", trunkPrefix: nil),
        Country(alpha2: "fi", alpha3: "fin", names: ["finland", "suomi"], callingCode: "358", trunkPrefix: "0"),
        Country(alpha2: "pl", alpha3: "pol", names: ["poland", "polska"], callingCode: "48", trunkPrefix: nil),
        Country(alpha2: "cz", alpha3: "cze", names: ["czechia", "czech republic"], callingCode: "420", trunkPrefix: nil),
        Country(alpha2: "gr", alpha3: "grc", names: ["greece"], callingCode: "30", trunkPrefix: nil),
        Country(alpha2: "hu", alpha3: "hun", names: ["hungary"], callingCode: "36", trunkPrefix: "06"),
        Country(alpha2: "ro", alpha3: "rou", names: ["romania"], callingCode: "40", trunkPrefix: "0"),
        Country(alpha2: "tr", alpha3: "tur", names: ["turkey", "türkiye"], callingCode: "90", trunkPrefix: "0"),
        Country(alpha2: "au", alpha3: "aus", names: ["australia"], callingCode: "61", trunkPrefix: "0"),
        Country(alpha2: "nz", alpha3: "nzl", names: ["new zealand"], callingCode: "64", trunkPrefix: "0"),
        Country(alpha2: "jp", alpha3: "jpn", names: ["japan"], callingCode: "81", trunkPrefix: "0"),
        Country(alpha2: "kr", alpha3: "kor", names: ["south korea", "korea", "republic of korea"], callingCode: "82", trunkPrefix: "0"),
        Country(alpha2: "cn", alpha3: "chn", names: ["china"], callingCode: "86", trunkPrefix: "0"),
        Country(alpha2: "in", alpha3: "ind", names: ["india"], callingCode: "91", trunkPrefix: "0"),
        Country(alpha2: "sg", alpha3: "sgp", names: ["singapore"], callingCode: "65", trunkPrefix: nil),
        Country(alpha2: "br", alpha3: "bra", names: ["brazil", "brasil"], callingCode: "55", trunkPrefix: "0"),
        Country(alpha2: "mx", alpha3: "mex", names: ["mexico", "méxico"], callingCode: "52", trunkPrefix: nil),
        Country(alpha2: "ar", alpha3: "arg", names: ["argentina"], callingCode: "54", trunkPrefix: "0"),
        Country(alpha2: "za", alpha3: "zaf", names: ["south africa"], callingCode: "27", trunkPrefix: "0"),
        Country(alpha2: "ae", alpha3: "are", names: ["united arab emirates", "uae"], callingCode: "971", trunkPrefix: "0"),
        Country(alpha2: "il", alpha3: "isr", names: ["israel"], callingCode: "972", trunkPrefix: "0"),
    ]

    private static let byKey: [String: Country] = {
        var map: [String: Country] = [:]
        for country in countries {
            map[country.alpha2] = country
            map[country.alpha3] = country
            for name in country.names where map[name] == nil { map[name] = country }
        }
        return map
    }()

    /// Looks a country up by alpha-2, alpha-3 or English name, case-insensitively.
    static func lookup(_ text: String) -> Country? {
        byKey[text.trimmingWhitespace().lowercased()]
    }
}

/// United States states and territories by name → USPS code.
enum USStates {
    static let codes: [String: String] = [
        "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
        "connecticut": "ct", "delaware": "de", "district of columbia": "dc", "florida": "fl", "georgia": "ga",
        "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks",
        "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md", "massachusetts": "ma",
        "michigan": "mi", "minnesota": "mn", "mississippi": "ms", "missouri": "mo", "montana": "mt",
        "nebraska": "ne", "nevada": "nv", "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm",
        "new york": "ny", "north carolina": "nc", "north dakota": "nd", "ohio": "oh", "oklahoma": "ok",
        "oregon": "or", "pennsylvania": "pa", "rhode island": "ri", "south carolina": "sc", "south dakota": "sd",
        "tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa",
        "west virginia": "wv", "wisconsin": "wi", "wyoming": "wy", "puerto rico": "pr", "guam": "gu",
    ]
    static let validCodes = Set(codes.values)
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
