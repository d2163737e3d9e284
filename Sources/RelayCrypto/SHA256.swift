import COpenSSL

/// SHA-256 through OpenSSL's EVP interface (the `SHA256_*` family is deprecated in OpenSSL 3).
public enum SHA256 {
    /// The digest of `bytes` as 64 lowercase hexadecimal characters.
    public static func hexDigest(_ bytes: some Collection<UInt8>) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = Array(bytes).withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
        return hex(digest)
    }

    public static func hexDigest(_ text: String) -> String { hexDigest(Array(text.utf8)) }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True for 64 hexadecimal characters (either case): a value the shop already hashed.
    public static func isHexDigest(_ text: String) -> Bool {
        let utf8 = text.utf8
        return utf8.count == 64
            && utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }
}
