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
