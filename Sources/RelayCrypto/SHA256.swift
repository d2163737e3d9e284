import COpenSSL

/// SHA-256 through OpenSSL's EVP interface (the `SHA256_*` family is deprecated in OpenSSL 3).
public enum SHA256 {
    /// SHA-256 fetched once: passing `EVP_sha256()` makes OpenSSL 3 look the algorithm up again
    /// on every digest ("implicit fetch", OpenSSL 3 migration guide), which costs more than
    /// hashing a short identifier. A fetched `EVP_MD` is immutable and safe to share.
    nonisolated(unsafe) private static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// The digest of `bytes` as 64 lowercase hexadecimal characters.
    public static func hexDigest(_ bytes: some Collection<UInt8>) -> String {
        if let hex = bytes.withContiguousStorageIfAvailable({ hexDigest(UnsafeRawBufferPointer($0)) }) { return hex }
        return Array(bytes).withUnsafeBytes { hexDigest($0) }
    }

    public static func hexDigest(_ text: String) -> String {
        var text = text
        return text.withUTF8 { hexDigest(UnsafeRawBufferPointer($0)) }
    }

    private static func hexDigest(_ input: UnsafeRawBufferPointer) -> String {
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &digest) { output in
            relay_sha256_digest(
                algorithm ?? EVP_sha256(), input.baseAddress, input.count, output.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        precondition(ok == 1, "SHA-256 digest failed")
        return withUnsafeBytes(of: &digest) { bytes in
            String(unsafeUninitializedCapacity: 64) { output in
                // Nibble to digit by arithmetic: no table lookups or bounds checks per byte.
                for index in 0..<32 {
                    let byte = bytes[index]
                    output[index &* 2] = hexDigit(byte >> 4)
                    output[index &* 2 &+ 1] = hexDigit(byte & 0x0F)
                }
                return 64
            }
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? nibble &+ UInt8(ascii: "0") : nibble &+ (UInt8(ascii: "a") &- 10)
    }

    /// True for 64 hexadecimal characters (either case): a value the shop already hashed.
    public static func isHexDigest(_ text: String) -> Bool {
        let utf8 = text.utf8
        return utf8.count == 64
            && utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }
}
