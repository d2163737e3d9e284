import RelayCrypto
import Testing

/// Base64url as JSON Web Tokens use it (RFC 4648 §5, no padding): Google's service-account
/// assertions are signed over it and the sandbox verifies them through it.
@Suite struct Base64URLTests {
    /// RFC 4648 §10's test vectors, padding removed.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func encodesAndDecodesTheRFCVectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    /// The two letters where base64url differs from base64: 62 is `-` and 63 is `_`.
    @Test func usesTheURLSafeAlphabet() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF]  // sextets 62, 63, 62, 63
        #expect(Base64URL.encode(bytes) == "-_-_")
        #expect(Base64URL.decode("-_-_") == bytes)
        let all = (0...255).map(UInt8.init)
        #expect(Base64URL.decode(Base64URL.encode(all)) == all)
    }

    @Test(arguments: ["Zm9v+", "Zm9/", "Zg==", "Z", "Zm9vY", "Zm 9v", "Zm9v\n"])
    func refusesWhatIsNotUnpaddedBase64URL(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
