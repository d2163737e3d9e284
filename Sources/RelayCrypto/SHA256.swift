import CRelayDigest

/// SHA-256 through OpenSSL's block function (`relay_sha256_digest`, CRelayDigest).
public enum SHA256 {
    /// The digest of `bytes` as 64 lowercase hexadecimal characters.
    public static func hexDigest(_ bytes: some Collection<UInt8>) -> String {
        if let hex = bytes.withContiguousStorageIfAvailable({ digest(UnsafeRawBufferPointer($0)).hex }) { return hex }
        return Array(bytes).withUnsafeBytes { digest($0).hex }
    }

    public static func hexDigest(_ text: String) -> String {
        digest(text).hex
    }

    /// The digest of `text`'s UTF-8 bytes, held inline (no allocation).
    public static func digest(_ text: String) -> SHA256Digest {
        if let digest = text.utf8.withContiguousStorageIfAvailable({ digest(UnsafeRawBufferPointer($0)) }) { return digest }
        var copy = text
        return copy.withUTF8 { digest(UnsafeRawBufferPointer($0)) }
    }

    /// The digest of the bytes at `input`: looked up for one or two lowercase letters
    /// (``ShortLetterDigests``), computed otherwise.
    public static func digest(_ input: UnsafeRawBufferPointer) -> SHA256Digest {
        if let index = ShortLetterDigests.index(of: input) {
            return ShortLetterDigests.table.withUnsafeBufferPointer { $0[index] }
        }
        return computeDigest(input)
    }

    /// The digest of the bytes at `input`, computed.
    static func computeDigest(_ input: UnsafeRawBufferPointer) -> SHA256Digest {
        var digest = SHA256Digest()
        let ok = withUnsafeMutableBytes(of: &digest.bytes) { output in
            relay_sha256_digest(input.baseAddress, input.count, output.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        precondition(ok == 1, "SHA-256 digest failed")
        return digest
    }

    /// True for 64 hexadecimal characters (either case): a value the shop already hashed.
    public static func isHexDigest(_ text: String) -> Bool {
        isHexDigest(utf8: text.utf8)
    }

    /// ``isHexDigest(_:)`` for UTF-8 bytes.
    @inlinable
    public static func isHexDigest(utf8: some Collection<UInt8>) -> Bool {
        utf8.count == 64
            && utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }
}

/// A SHA-256 digest: its 32 bytes held inline, so keeping one allocates nothing; written out as
/// 64 lowercase hexadecimal digits (``hex``, ``writeHex(to:)``).
public struct SHA256Digest: Sendable, Hashable {
    /// The digest's bytes in order.
    @usableFromInline var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Hexadecimal digits in a digest's text form.
    @inlinable public static var hexCount: Int { 64 }

    init() {}

    /// The digest 64 hexadecimal digits (either case) spell, or `nil` for any other text.
    public init?(hex text: String) {
        self.init(hexDigits: text.utf8)
    }

    /// The digest the 64 hexadecimal digits (either case, as UTF-8 bytes) spell, or `nil` for any
    /// other bytes.
    public init?(hexDigits utf8: some Collection<UInt8>) {
        guard utf8.count == Self.hexCount else { return nil }
        var valid = true
        withUnsafeMutableBytes(of: &bytes) { output in
            var index = 0
            var high: UInt8 = 0
            for character in utf8 {
                guard let nibble = Self.nibble(character) else {
                    valid = false
                    return
                }
                if index & 1 == 0 {
                    high = nibble
                } else {
                    output[index >> 1] = high << 4 | nibble
                }
                index += 1
            }
        }
        guard valid else { return nil }
    }

    /// The 64 lowercase hexadecimal digits.
    public var hex: String {
        String(unsafeUninitializedCapacity: Self.hexCount) { output in
            writeHex(to: output.baseAddress!)
            return Self.hexCount
        }
    }

    /// Writes the 64 lowercase hexadecimal digits at `target`, which must have room for them.
    /// Inlinable: a few vector instructions where the caller's digest already is.
    @inlinable
    public func writeHex(to target: UnsafeMutablePointer<UInt8>) {
        withUnsafeBytes(of: bytes) { digest in
            relay_hex_digits32(digest.baseAddress!.assumingMemoryBound(to: UInt8.self), target)
        }
    }

    public static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool {
        lhs.bytes.0 == rhs.bytes.0 && lhs.bytes.1 == rhs.bytes.1 && lhs.bytes.2 == rhs.bytes.2 && lhs.bytes.3 == rhs.bytes.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.0)
        hasher.combine(bytes.1)
        hasher.combine(bytes.2)
        hasher.combine(bytes.3)
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
