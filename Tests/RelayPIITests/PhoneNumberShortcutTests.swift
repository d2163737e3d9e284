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
}
