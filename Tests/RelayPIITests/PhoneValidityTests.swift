@testable import RelayPII
import Testing

/// The shortcut's validity check (libphonenumber's patterns compiled once, CPhoneNumber's
/// valid_number.cpp) must answer exactly what libphonenumber's IsValidNumber answers.
@Suite struct PhoneValidityTests {
    /// The calling codes the shortcut reads: DE, FR and NL answered by the compiled patterns, GB and
    /// NANP by libphonenumber (checked here too, so a code moved between the two stays checked).
    static let callingCodes = [49, 33, 31, 44, 1]

    /// Every national significant number starting with each three-digit prefix (no leading 0), at
    /// every length 1...15, filled with each digit: most of the plans' leading-digit ranges.
    @Test func everyPrefixAndLengthAgreesWithLibphonenumber() {
        var compared = 0
        var valid = 0
        for code in Self.callingCodes {
            for prefix in 100...999 {
                for length in 1...15 {
                    for fill in ["0", "5", "9"] {
                        let digits = String(String(prefix).prefix(length)) + String(repeating: fill, count: max(0, length - 3))
                        let fast = PhoneNumberFormatter.isValid(countryCode: code, national: digits, throughLibrary: false)
                        let reference = PhoneNumberFormatter.isValid(countryCode: code, national: digits, throughLibrary: true)
                        #expect(fast == reference, "+\(code) \(digits)")
                        compared += 1
                        if reference == true { valid += 1 }
                    }
                }
            }
        }
        #expect(compared == Self.callingCodes.count * 900 * 15 * 3)
        // Both answers occur often, so agreement is not agreement on "no".
        #expect(valid > 10_000)
    }

    /// The automata that stand in for ICU's regular expressions (CPhoneNumber's digit_pattern.h)
    /// exist for every national number pattern of libphonenumber's metadata, every region and type,
    /// and match what ICU matches on 1,000 digit strings per pattern (every 3-digit prefix, lengths
    /// 0-17): a pattern the automaton reads wrongly anywhere in the metadata shows here, not only
    /// in the three plans the relay answers with them.
    @Test func patternAutomataMatchWhatICUMatches() {
        let agreement = PhoneNumberFormatter.patternAutomataAgreement(numbersPerPattern: 1_000)
        #expect(agreement.patterns > 1_000)
        #expect(agreement.compiled == agreement.patterns)
        #expect(agreement.disagreements == 0)
    }

    /// Random digits (seeded: the same numbers every run) of the lengths these plans use.
    @Test func randomNumbersAgreeWithLibphonenumber() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            // SplitMix64.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
        var valid = 0
        for _ in 0..<40_000 {
            let code = Self.callingCodes[next(Self.callingCodes.count)]
            let length = 5 + next(9)
            var digits = String(1 + next(9))
            for _ in 1..<length { digits += String(next(10)) }
            let fast = PhoneNumberFormatter.isValid(countryCode: code, national: digits, throughLibrary: false)
            let reference = PhoneNumberFormatter.isValid(countryCode: code, national: digits, throughLibrary: true)
            #expect(fast == reference, "+\(code) \(digits)")
            if reference == true { valid += 1 }
        }
        #expect(valid > 2_000)
    }

    /// Several threads at once (each keeps its own matchers) get the answers one thread gets.
    @Test func concurrentChecksAgreeWithLibphonenumber() async {
        let (mismatches, valid) = await withTaskGroup(of: (Int, Int).self) { group in
            for task in 0..<4 {
                group.addTask {
                    var mismatches = 0
                    var valid = 0
                    for index in 0..<3_000 {
                        let code = [49, 33, 31][index % 3]
                        let digits = String(100_000_000 + (index * 7_919 + task * 104_729) % 900_000_000)
                        let fast = PhoneNumberFormatter.isValid(countryCode: code, national: digits, throughLibrary: false)
                        let reference = PhoneNumberFormatter.isValid(countryCode: code, national: digits, throughLibrary: true)
                        if fast != reference { mismatches += 1 }
                        if reference == true { valid += 1 }
                    }
                    return (mismatches, valid)
                }
            }
            return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        #expect(mismatches == 0)
        #expect(valid > 1_000)
    }

    /// Digits the check does not take (a leading 0, not digits, too long) are refused, not guessed.
    @Test func refusesWhatItDoesNotRead() {
        for digits in ["", "0301234567", "30 1234567", "1234567890123456"] {
            #expect(PhoneNumberFormatter.isValid(countryCode: 49, national: digits, throughLibrary: false) == nil)
        }
    }
}
