import RelayCrypto
import Testing

/// A digest's text form: 64 lowercase hexadecimal digits, every nibble in its place.
@Suite struct DigestHexTests {
    @Test func aKnownDigestSpellsItsDigits() {
        #expect(SHA256.hexDigest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Every nibble value in both places of a byte, in each half of the digest.
    @Test(arguments: [
        "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210",
        "f0e1d2c3b4a5968778695a4b3c2d1e0f0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        String(repeating: "9a", count: 32), String(repeating: "a9", count: 32),
    ])
    func digitsRoundTrip(hex: String) throws {
        let digest = try #require(SHA256Digest(hex: hex.uppercased()))
        #expect(digest.hex == hex)
        var written = [UInt8](repeating: 0, count: SHA256Digest.hexCount + 1)
        written.withUnsafeMutableBufferPointer { digest.writeHex(to: $0.baseAddress!) }
        #expect(written == Array(hex.utf8) + [0], "writes 64 digits and nothing past them")
    }
}
