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
