import COpenSSL

/// Why an RSA operation failed. Never contains key material.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// An RSA key (private, or public only) loaded into OpenSSL, for RS256 (RSASSA-PKCS1-v1_5 with
/// SHA-256) as JSON Web Tokens use it (RFC 7518 §3.3).
public final class RSAKey: @unchecked Sendable {
    // EVP_PKEY is reference counted and safe for concurrent sign/verify calls that each use their
    // own EVP_MD_CTX, which is how this class uses it.
    private let key: OpaquePointer

    private init(key: OpaquePointer) {
        self.key = key
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// Loads a PEM private key (`-----BEGIN PRIVATE KEY-----`, as in a Google service-account key file).
    public convenience init(privateKeyPEM pem: String) throws(CryptoError) {
        guard let key = Self.withBIO(pem, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            throw CryptoError("not a PEM private key")
        }
        self.init(key: key)
    }

    /// Loads a PEM public key (`-----BEGIN PUBLIC KEY-----`).
    public convenience init(publicKeyPEM pem: String) throws(CryptoError) {
        guard let key = Self.withBIO(pem, { PEM_read_bio_PUBKEY($0, nil, nil, nil) }) else {
            throw CryptoError("not a PEM public key")
        }
        self.init(key: key)
    }

    /// Generates a new key pair (for tests and the sandbox).
    public static func generate(bits: Int32 = 2048) throws(CryptoError) -> RSAKey {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else { throw CryptoError("no RSA context") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(context, bits) == 1,
            EVP_PKEY_keygen(context, &key) == 1, let key
        else { throw CryptoError("RSA key generation failed") }
        return RSAKey(key: key)
    }

    /// The private key as PKCS#8 PEM.
    public func privateKeyPEM() throws(CryptoError) -> String {
        try Self.writePEM { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }

    /// The public key as SubjectPublicKeyInfo PEM.
    public func publicKeyPEM() throws(CryptoError) -> String {
        try Self.writePEM { PEM_write_bio_PUBKEY($0, key) }
    }

    /// RS256 signature of `message`.
    public func signRS256(_ message: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw CryptoError("no digest context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else { throw CryptoError("sign init failed") }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else { throw CryptoError("sign failed") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw CryptoError("sign failed")
        }
        return Array(signature.prefix(length))
    }

    /// Whether `signature` is a valid RS256 signature of `message` by this key.
    public func verifyRS256(_ message: [UInt8], signature: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else { return false }
        return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
    }

    private static func withBIO(_ pem: String, _ body: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
        let bytes = Array(pem.utf8)
        return bytes.withUnsafeBytes { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    private static func writePEM(_ write: (OpaquePointer) -> Int32) throws(CryptoError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError("no memory BIO") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw CryptoError("PEM encoding failed") }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let read = BIO_read(bio, &chunk, Int32(chunk.count))
            if read <= 0 { break }
            output.append(contentsOf: chunk.prefix(Int(read)))
        }
        return String(decoding: output, as: UTF8.self)
    }
}
