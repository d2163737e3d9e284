@testable import RelayPII
import Testing

/// The phone shortcut (common shapes without libphonenumber's regular expressions) must give
/// exactly what libphonenumber's full parse gives, for every shape it takes and every region.
@Suite struct PhoneNumberShortcutTests {
    static let regions: [String?] = [nil, "us", "ca", "gb", "de", "fr", "nl", "it", "ar", "mx", "br", "au", "in"]

    /// Shapes with `#` for a digit, as shops and the sample generator write them.
    static let shapes = [
        "(###) ###-####", "+1 ###-###-####", "###.###.####", "1-###-###-####", "##########", "+1##########", "+1 (###) ###-####",
        "020 #### ####", "+44 (0)20 #### ####", "07### ######", "+44 7### ######", "+44 ## #### ####", "+440## #### ####",
        "030 #######", "+49 30 #######", "0049 ### #######", "+49 1## #######", "+49##########",
        "01 ## ## ## ##", "+33 # ## ## ## ##", "+33##########", "06 #### ####", "+31 6 #### ####", "+31 ## ### ####",
        "+39 0# #### ####", "+39 3## ### ####", "+54 9 ## ####-####", "+52 1 ## #### ####", "+61 4## ### ###", "+91 ##### #####",
        "+1 ###-###-#### ", " +1 ###.###.####", "+ 1 ### ### ####", "(+1) ### ### ####", "+1-###-###-####-##", "+#", "+##",
        "+1 ###", "###-####", "+44 ###", "+1 ###-###-#####", "++1##########", "+1 ###/###-####", "+1 ### ### #### #1",
        // National numbers with and without the trunk 0, and ones that start like a country code.
        "0#########", "0##########", "0###########", "0## ### ####", "0 ## ## ## ##", "0#######", "0####", "00## ### ####",
        "#########", "##########", "###########", "44#########", "49##########", "33#########", "31#########", "1##########",
        "07### ### ###", "015# #######", "0800 ### ####", "0900######", "09## ######",
        // Fixed-line numbers of lengths no mobile number has (checked for validity without a parse).
        "089 ########", "+49 89 ########", "0221 ######", "+49 221 #######", "040 ### ####", "0201 ### ###", "+49 3## ######",
        "0161 ### ####", "+44 161 ### ####", "01632 ######", "+44 1### #####", "+33 1 ## ## ## ##", "04 ## ## ## ##",
        "010 ### ####", "+31 20 ### ####", "0### ######", "+49 #### ######", "+44 ### #####", "+31 ## #####", "+33 ########",
        // NANP numbers whose first digit is 0 or 1, "011" (the international prefix) and "1" before them.
        "0## ### ####", "1## ### ####", "011 ### ####", "011########", "1 0## ### ####", "1 1## ### ####", "1-011-###-####",
        "+1 0## ### ####", "+1 1## ### ####", "+1 011 ### ####", "(0##) ###-####", "(1##) ###-####",
    ]

    @Test func shortcutAgreesWithTheFullParse() {
        var generator = SystemRandomNumberGenerator()
        var compared = 0
        var formatted = 0
        for shape in Self.shapes {
            for _ in 0..<60 {
                let number = String(shape.map { $0 == "#" ? Character(String(Int.random(in: 0...9, using: &generator))) : $0 })
                for region in Self.regions {
                    let fast = PhoneNumberFormatter.e164(number, region: region)
                    let reference = PhoneNumberFormatter.e164ThroughFullParse(number, region: region)
                    #expect(fast == reference, "\(shape) in \(region ?? "no region")")
                    compared += 1
                    if fast != nil { formatted += 1 }
                }
            }
        }
        #expect(compared > 30_000)
        #expect(formatted > 5_000)
    }

    @Test func everyLeadingDigitAndLengthAgrees() {
        // Exhaustive over the first two digits and lengths 1...16, with and without '+'.
        for first in 0...99 {
            for length in 1...16 {
                let twoDigits = first < 10 ? "0\(first)" : "\(first)"
                let digits = String(twoDigits.prefix(length)) + String(repeating: "5", count: max(0, length - 2))
                for number in ["+" + digits, digits] {
                    for region in Self.regions {
                        #expect(
                            PhoneNumberFormatter.e164(number, region: region) == PhoneNumberFormatter.e164ThroughFullParse(number, region: region),
                            "\(number) in \(region ?? "no region")")
                    }
                }
            }
        }
    }

    /// Eleven NANP digits read in US or CA: those starting with "11" the shortcut refuses without a
    /// parse, as the full parse refuses them (the trunk 1 stripped after the country code leaves
    /// too few digits); those starting with "10" or "12" it formats, as the full parse does.
    @Test func elevenNANPDigitsStartingWithElevenAreRefusedLikeTheFullParse() {
        var generator = SystemRandomNumberGenerator()
        var refused = 0
        var formatted = 0
        for region in ["us", "ca"] {
            for second in ["1", "0", "2"] {
                let shapes = ["1\(second)#########", "1-\(second)##-###-####", "1 (\(second)##) ###.####", "(1) \(second)## ### ####", " 1\(second)## ### #### "]
                for shape in shapes {
                    let fixed = ["000000000", "999999999", "555555555", "000555012", "234567890"].map { nine in
                        var digits = nine.makeIterator()
                        return String(shape.map { $0 == "#" ? digits.next()! : $0 })
                    }
                    let random = (0..<120).map { _ in
                        String(shape.map { $0 == "#" ? Character(String(Int.random(in: 0...9, using: &generator))) : $0 })
                    }
                    for number in fixed + random {
                        let fast = PhoneNumberFormatter.e164(number, region: region)
                        #expect(fast == PhoneNumberFormatter.e164ThroughFullParse(number, region: region), "\(shape) in \(region)")
                        if second == "1" { #expect(fast == nil, "\(shape) in \(region)") }
                        if fast == nil { refused += 1 } else { formatted += 1 }
                    }
                }
            }
        }
        #expect(refused >= 2 * 5 * 125)
        #expect(formatted > 1_000)
    }

    /// Ten digits starting with "00" read in US or CA: the shortcut reads them in the region
    /// itself and parses only the "00"-as-"+" reading, which must win exactly when the full parse
    /// lets it (valid and sendable), and only when the text starts with "00" after spaces and
    /// opening parentheses, as the full parse asks. Calling codes with short numbers (Falklands,
    /// St Helena, Austria, Germany, Italy, Sweden) make the second reading valid.
    @Test func tenNANPDigitsStartingWithDoubleZeroAgreeWithTheFullParse() {
        var generator = SystemRandomNumberGenerator()
        let starts = ["500", "290", "43", "49", "39", "46", "45", "7", "1", "0", "", "", ""]
        let leads = ["", "", "", " ", "(", " (", "((", "-", ".", "( ", ")"]
        let separators = ["", "", "", "", " ", "-", ".", "(", ")"]
        var compared = 0
        var international = 0
        var national = 0
        for _ in 0..<3_000 {
            let start = starts.randomElement(using: &generator)!
            let rest = (0..<(8 - start.count)).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
            var text = leads.randomElement(using: &generator)!
            for (index, digit) in ("00" + start + rest).enumerated() {
                if index > 0 { text += separators.randomElement(using: &generator)! }
                text.append(digit)
            }
            if Bool.random(using: &generator) { text += [" ", ")", "-"].randomElement(using: &generator)! }
            for region in ["us", "ca", "US"] {
                let fast = PhoneNumberFormatter.e164(text, region: region)
                #expect(fast == PhoneNumberFormatter.e164ThroughFullParse(text, region: region), "\(text) in \(region)")
                compared += 1
                if let fast { if fast.hasPrefix("+100") { national += 1 } else { international += 1 } }
            }
        }
        #expect(compared == 9_000)
        #expect(international > 300)
        #expect(national > 3_000)
    }

    /// The ASCII fast path of the normaliser's E.164 rule (bytes in a stack buffer) against the
    /// rule for any input, on phone-like ASCII text: `(0)` markers, `00` prefixes, letters,
    /// whitespace at either end, with and without the customer's country.
    @Test func asciiPathAgreesWithTheGeneralRule() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["(0)", "00", "+", " ", "\t", "-", "(", ")", "0", "1", "4", "7", "9", "44", "49", ".", "x", "/", "((0)0)", "(0"]
        let countries: [CountryTable.Country?] = [nil] + ["us", "gb", "de", "fr", "nl", "it"].map { CountryTable.lookup($0) }
        var compared = 0
        var formatted = 0
        for _ in 0..<4_000 {
            var text = ""
            for _ in 0..<Int.random(in: 1...9, using: &generator) {
                text += pieces.randomElement(using: &generator)!
                if Bool.random(using: &generator) {
                    text += String((0..<Int.random(in: 1...5, using: &generator)).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
                }
            }
            for country in countries {
                let fast = Result { () throws(NormalizationError) in try IdentityNormalizer.e164(text, country: country) }
                let general = Result { () throws(NormalizationError) in try IdentityNormalizer.unicodeE164(text, country: country) }
                #expect(fast == general, "\(text) in \(country?.alpha2 ?? "no country")")
                compared += 1
                if case .success = fast { formatted += 1 }
            }
        }
        #expect(compared == 28_000)
        #expect(formatted > 1_000)
    }

    /// The sample orders' phone shapes (RelayDemo's SampleOrderGenerator markets), each in its
    /// market's region, through the normaliser's rule (with its `(0)` removal) and through the
    /// general rule on the full parse, whose E.164 text is libphonenumber's Format: the shortcut
    /// writes "+", the calling code and the national number itself.
    @Test func sampleOrderShapesAgreeWithTheFullParse() throws {
        let markets: [(region: String, shapes: [String])] = [
            ("us", ["(###) 555-0###", "+1 ###-555-0###", "###.555.0###", "1-###-555-0###"]),
            ("gb", ["020 7946 0###", "+44 (0)20 7946 0###", "07700 900###", "+44 7700 900###"]),
            ("de", ["030 1234###", "+49 30 1234###", "0049 171 1234###"]),
            ("fr", ["01 23 45 6# ##", "+33 6 12 34 5# ##"]),
            ("Netherlands", ["06 1234 5###", "+31 6 1234 5###"]),
        ]
        var formatted = 0
        for (region, shapes) in markets {
            let country = try #require(CountryTable.lookup(region))
            for shape in shapes {
                for index in 0..<1_000 {
                    // The first three `#` take every combination of digits (the index's, last digit first), the rest 0.
                    var digits = String(index).reversed().makeIterator()
                    let number = String(shape.map { $0 == "#" ? (digits.next() ?? "0") : $0 })
                    let fast = Result { () throws(NormalizationError) in try IdentityNormalizer.e164(number, country: country) }
                    let reference = Result { () throws(NormalizationError) in
                        guard let e164 = PhoneNumberFormatter.e164ThroughFullParse(number.replacing("(0)", with: ""), region: country.alpha2)
                        else { throw IdentityNormalizer.notPossible(country: country) }
                        return e164
                    }
                    #expect(fast == reference, "\(number) in \(region)")
                    if case .success = fast { formatted += 1 }
                }
            }
        }
        #expect(formatted > 13_000)
    }
}
