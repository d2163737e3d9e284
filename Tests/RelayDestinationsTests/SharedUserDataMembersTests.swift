import RelayCore
@testable import RelayDestinations
import RelayPII
import Testing

@Suite struct SharedUserDataMembersTests {
    /// The literal table of padded user-data members is, byte for byte, the one worked out from
    /// each field's member text: every entry's text, zero padding and length.
    @Test func theLiteralTableIsTheOneWorkedOutFromTheMembers() {
        let literal = sharedUserDataMembers.withUTF8Buffer { Array($0) }
        #expect(literal == paddedSharedUserDataMembers())
        #expect(literal.count == IdentityField.allCases.count * JSONWriter.paddedHeadReadable)
    }
}
