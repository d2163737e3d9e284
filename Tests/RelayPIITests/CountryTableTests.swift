@testable import RelayPII
import Testing

/// Two-letter country codes are found through a table indexed by their letters; everything the
/// table does not hold goes on to the lookup by alpha-3 code and name, as before.
@Suite struct CountryTableTests {
    @Test func everyCodeIsFoundInAnyCaseAndAsItsAlpha3AndName() {
        for row in CountryTable.iso3166 {
            let country = CountryTable.Country(alpha2: row.alpha2, alpha3: row.alpha3)
            let mixed = row.alpha2.prefix(1).uppercased() + row.alpha2.dropFirst()
            for spelling in [row.alpha2, row.alpha2.uppercased(), mixed, " \(row.alpha2.uppercased()) ", row.alpha3.uppercased()] + row.names {
                #expect(CountryTable.lookup(spelling) == country, "\(spelling)")
            }
        }
    }

    /// A country holds its codes as bytes: the codes made from them are the table's, and the
    /// byte rules' index, subdivision table, United States test and subdivision key are what the
    /// codes give.
    @Test func theCodesHeldAsBytesAreTheTables() {
        /// The key by definition: the letters, lower case, after a leading `<code>-` in either case.
        func key(_ text: String, _ code: String) -> String {
            let lower = text.lowercased()
            let rest = lower.utf8.count > 3 && lower.hasPrefix(code + "-") ? String(lower.dropFirst(3)) : lower
            return String(rest.filter { $0 >= "a" && $0 <= "z" })
        }
        for row in CountryTable.iso3166 {
            let country = CountryTable.Country(alpha2: row.alpha2, alpha3: row.alpha3)
            #expect(country.alpha2 == row.alpha2 && country.alpha3 == row.alpha3, "\(row.alpha2)")
            #expect(CountryTable.alpha2Index(bytes: country.alpha2Bytes) == CountryTable.alpha2Index(row.alpha2), "\(row.alpha2)")
            #expect(
                SubdivisionCodes.subdivisions(ofAlpha2Bytes: country.alpha2Bytes) == SubdivisionCodes.table[row.alpha2], "\(row.alpha2)")
            #expect(country.isUnitedStates == (row.alpha2 == "us"))
            let code = row.alpha2.uppercased()
            let texts = [
                "\(code)-BY", "\(row.alpha2)-ny", "\(code)-B", "\(code)-", "\(code)BY", "XX-BY", "by", "\(code.prefix(1))-BY-\(code)",
                "\(code.prefix(1))Q-BY", "Q\(code.suffix(1))-BY",
            ]
            for text in texts {
                var bytes = text
                #expect(bytes.withUTF8 { SubdivisionCodes.asciiKey($0, countryBytes: country.alpha2Bytes) } == key(text, row.alpha2), "\(text)")
            }
        }
    }

    /// libphonenumber gets the region from the country's bytes as it gets it from its code.
    @Test func thePhoneRegionFromBytesIsTheCode() {
        let numbers = ["030 1234567", "020 7946 0958", "(415) 555-0123", "06 12 34 56 78", "13800138000", "+49 30 1234567", "12345"]
        for alpha2 in ["de", "gb", "us", "fr", "cn", "nl", "jp"] {
            let country = CountryTable.lookup(alpha2)!
            for number in numbers {
                let fromBytes = number.withCString { PhoneNumberFormatter.e164Bytes(cString: $0, region: country.alpha2Bytes) }
                #expect(fromBytes?.string == PhoneNumberFormatter.e164(number, region: alpha2), "\(alpha2) \(number)")
            }
        }
        #expect("+49 30 1234567".withCString { PhoneNumberFormatter.e164Bytes(cString: $0, region: nil) }?.string == "+49301234567")
    }

    @Test func twoCharactersThatAreNoCodeAreNamesOrNothing() {
        #expect(CountryTable.lookup("uk") == CountryTable.lookup("gb"))  // a name, not an ISO code
        #expect(CountryTable.lookup("UK")?.alpha2 == "gb")
        for text in ["zz", "ZZ", "u1", "1u", "u ", "@a", "a[", "`a", "a{", "", "u", "ü", "uss"] {
            #expect(CountryTable.lookup(text) == nil, "\(text)")
        }
    }
}

/// Trimming takes ASCII whitespace off byte by byte and leaves only non-ASCII ends to the walk
/// over Unicode scalars; either way the result is what Unicode's `White_Space` property says.
@Suite struct TrimmingWhitespaceTests {
    /// The definition: scalars with `White_Space` removed from both ends.
    private func byDefinition(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }

    @Test func asciiAndUnicodeWhitespaceAreTrimmedFromBothEnds() {
        #expect("  Jane ".trimmingWhitespace() == "Jane")
        #expect("\t\n\u{0B}\u{0C}\r x y \r\n".trimmingWhitespace() == "x y")
        #expect(" \u{00A0}Zoë\u{2003} ".trimmingWhitespace() == "Zoë")
        #expect("\u{0085}André\u{3000}".trimmingWhitespace() == "André")
        #expect(" \u{200B}x ".trimmingWhitespace() == "\u{200B}x")  // a zero-width space is no White_Space
        #expect(" \t ".trimmingWhitespace() == "")
        #expect("".trimmingWhitespace() == "")
    }

    @Test func everyMixOfEndsMatchesTheDefinition() {
        let ends = ["", " ", "\t", "\r\n", "\u{0B}", "\u{0C}", "\u{00A0}", "\u{0085}", " \u{2009} ", "\u{1680}", "\u{1F}", "\u{7F}"]
        let middles = ["a", "ab c", "é", "Zoë", "日本", "x\u{00A0}y", "\u{1F600}", " ", "\u{00A0}"]
        for leading in ends {
            for middle in middles {
                for trailing in ends {
                    let text = leading + middle + trailing
                    #expect(text.trimmingWhitespace() == byDefinition(text), "\(Array(text.unicodeScalars))")
                }
            }
        }
    }

    /// The lookup on bytes (a code in place, an ASCII name folded on the stack) finds what the
    /// lookup on `String` finds, for every code and name in any case and spacing, and for text
    /// that is no country; bytes that are not all ASCII are left to the `String` lookup.
    @Test func theLookupOnBytesAgreesWithTheLookupOnText() {
        var spellings = ["", " ", "uk", "UK", "zz", "xyz", "u s a", "  United   Kingdom ", "Netherlands\t", "NL\r\n", "n l"]
        for row in CountryTable.iso3166 {
            spellings += [row.alpha2, row.alpha2.uppercased(), " \(row.alpha2) ", row.alpha3, row.alpha3.uppercased()]
            spellings += row.names + row.names.map { " \($0.uppercased())  " } + row.names.map { $0.replacing(" ", with: "  ") }
        }
        var found = 0
        for spelling in spellings {
            var text = spelling
            let onBytes = text.withUTF8 { CountryTable.lookup(ascii: $0) }
            if spelling.utf8.allSatisfy({ $0 < 0x80 }) {
                #expect(onBytes == .some(CountryTable.lookup(spelling)), "\(spelling)")
                if case .some(.some) = onBytes { found += 1 }
            } else {
                #expect(onBytes == .none, "\(spelling)")
            }
        }
        #expect(found > 1_000)
        var accented = "Côte d'Ivoire"
        #expect(accented.withUTF8 { CountryTable.lookup(ascii: $0) } == .none)
    }

    /// The byte path's subdivision tables by alpha-2 index are the generated table's, for every
    /// country's code.
    @Test func subdivisionTablesByIndexAreTheTable() {
        for row in CountryTable.iso3166 {
            #expect(SubdivisionCodes.subdivisions(ofAlpha2: row.alpha2) == SubdivisionCodes.table[row.alpha2], "\(row.alpha2)")
        }
        #expect(SubdivisionCodes.table.keys.allSatisfy { SubdivisionCodes.subdivisions(ofAlpha2: $0) != nil })
        #expect(SubdivisionCodes.subdivisions(ofAlpha2: "x") == nil)
    }
}

/// The tables by bytes answer as the dictionaries they are built from: every key, and every key
/// one byte shorter, longer or changed, and the empty key.
@Suite struct ByteKeyTableTests {
    static func expectAgreement<Value: Equatable & Sendable>(_ dictionary: [String: Value], _ table: ByteKeyTable<Value>) {
        var keys = [""]
        for key in dictionary.keys {
            keys += [key, String(key.dropLast()), String(key.dropFirst()), key + "a", key + " ", "x" + key, key.uppercased()]
            if let last = key.unicodeScalars.last, last.isASCII, let next = Unicode.Scalar(last.value + 1) {
                keys.append(String(key.unicodeScalars.dropLast()) + String(next))
            }
        }
        for key in keys {
            var bytes = key
            #expect(bytes.withUTF8 { table.value(forKey: $0) } == dictionary[key], "\(key)")
        }
    }

    @Test func theTablesByBytesAreTheDictionaries() {
        Self.expectAgreement(CountryTable.byKey, CountryTable.byKeyBytes)
        Self.expectAgreement(USStates.codes, USStates.codeBytes)
        Self.expectAgreement(Dictionary(uniqueKeysWithValues: USStates.validCodes.map { ($0, true) }), USStates.validCodeBytes)
        for (alpha2, subdivisions) in SubdivisionCodes.table {
            let table = SubdivisionCodes.keyBytesByAlpha2Index[CountryTable.alpha2Index(alpha2)!]
            #expect(table != nil, "\(alpha2)")
            if let table { Self.expectAgreement(subdivisions, table) }
        }
        #expect(SubdivisionCodes.keyBytesByAlpha2Index.compactMap { $0 }.count == SubdivisionCodes.table.count)
    }
}
