import Foundation
import RelayCore
import RelayCrypto
import RelayHTTP
import Synchronization

/// Where Google OAuth 2.0 access tokens come from.
public protocol AccessTokenProvider: Sendable {
    /// A valid access token; `forceRefresh` after the API answered 401.
    func accessToken(forceRefresh: Bool) async throws(CredentialError) -> Secret
}

/// An access token kept in a file by something else (a sidecar, Workload Identity tooling).
/// The file is re-read whenever it changes, and on `forceRefresh`.
public final class AccessTokenFile: AccessTokenProvider {
    private let path: String
    private let cached = Mutex<(modified: Date, token: Secret)?>(nil)

    public init(path: String) {
        self.path = path
    }

    public func accessToken(forceRefresh: Bool) async throws(CredentialError) -> Secret {
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
        if !forceRefresh, let modified, let entry = cached.withLock({ $0 }), entry.modified == modified {
            return entry.token
        }
        guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CredentialError("cannot read the Google access token file")
        }
        let token = Secret(contents.trimmingCharacters(in: .whitespacesAndNewlines))
        guard !token.unredactedValue.isEmpty else { throw CredentialError("the Google access token file is empty") }
        cached.withLock { $0 = (modified ?? Date(), token) }
        return token
    }
}

/// Where the Google destination's access tokens come from, as configuration.
///
/// A value: loading configuration reads and checks the key and contacts nothing. The provider
/// that fetches tokens needs the relay's one shared HTTP client, so it is built where that client
/// lives (``makeProvider(http:)``, called by the service's composition), never while loading.
public enum GoogleCredentials: Sendable {
    /// A service-account key, exchanged for tokens at its token endpoint.
    case serviceAccountKey(ServiceAccountKey)
    /// A token file kept fresh by something else (a sidecar, Workload Identity tooling).
    case accessTokenFile(path: String)
    /// A provider the caller built (embedders, tests, the sandbox wiring).
    case provider(any AccessTokenProvider)

    /// The provider for these credentials; `http` fetches service-account tokens.
    public func makeProvider(http: any HTTPExecutor) -> any AccessTokenProvider {
        switch self {
        case .serviceAccountKey(let key): ServiceAccountTokenProvider(key: key, http: http)
        case .accessTokenFile(let path): AccessTokenFile(path: path)
        case .provider(let provider): provider
        }
    }

    /// Whether fetching a token needs an HTTP client (a service-account key not yet given one).
    public var needsHTTPClient: Bool {
        if case .serviceAccountKey = self { true } else { false }
    }
}

/// A Google service-account key (the JSON file from the Cloud console), read and checked: the
/// account, its token endpoint and its RSA private key. Errors name the problem, never the key.
public struct ServiceAccountKey: Sendable {
    public let clientEmail: String
    /// Where the signed assertion is exchanged for a token: the key's `token_uri`, unless overridden.
    public let tokenURI: String
    let keyID: String?
    let key: RSAKey

    public init(keyFileContents: [UInt8], tokenURIOverride: String? = nil) throws(CredentialError) {
        guard case .object(let json)? = try? JSONParser().parse(keyFileContents),
            case .string(let email)? = json["client_email"], case .string(let pem)? = json["private_key"]
        else {
            throw CredentialError("the service-account key file needs client_email and private_key")
        }
        var tokenURI = "https://oauth2.googleapis.com/token"
        if case .string(let uri)? = json["token_uri"] { tokenURI = uri }
        if case .string(let id)? = json["private_key_id"] { keyID = id } else { keyID = nil }
        do {
            key = try RSAKey(privateKeyPEM: pem)
        } catch {
            throw CredentialError("the service-account private_key is not a PEM RSA key")
        }
        self.clientEmail = email
        self.tokenURI = tokenURIOverride ?? tokenURI
    }
}

/// Fetches tokens for a ``ServiceAccountKey``: signs a JWT with the key (RS256) and exchanges it
/// at the key's `token_uri` for an access token (OAuth 2.0 JWT bearer grant, RFC 7523), scope
/// `https://www.googleapis.com/auth/datamanager` (destinations.md §2 "Auth"). Tokens are reused
/// until five minutes before they expire.
public final class ServiceAccountTokenProvider: AccessTokenProvider {
    public static let scope = "https://www.googleapis.com/auth/datamanager"

    private let clientEmail: String
    private let tokenURI: String
    private let keyID: String?
    private let key: RSAKey
    private let http: any HTTPExecutor
    private let cached = Mutex<(token: Secret, expiresAt: Date)?>(nil)

    public init(key: ServiceAccountKey, http: any HTTPExecutor) {
        self.clientEmail = key.clientEmail
        self.tokenURI = key.tokenURI
        self.keyID = key.keyID
        self.key = key.key
        self.http = http
    }

    /// Reads the key file. Errors name the problem, never the key.
    public convenience init(keyFileContents: [UInt8], http: any HTTPExecutor, tokenURIOverride: String? = nil)
        throws(CredentialError)
    {
        self.init(key: try ServiceAccountKey(keyFileContents: keyFileContents, tokenURIOverride: tokenURIOverride), http: http)
    }

    public func accessToken(forceRefresh: Bool) async throws(CredentialError) -> Secret {
        if !forceRefresh, let entry = cached.withLock({ $0 }), entry.expiresAt.timeIntervalSinceNow > 300 {
            return entry.token
        }
        let assertion = try signedAssertion(now: Int64(Date().timeIntervalSince1970))
        var body: [UInt8] = Array("grant_type=".utf8)
        FormURLEncoding.append("urn:ietf:params:oauth:grant-type:jwt-bearer".utf8, to: &body)
        body.append(contentsOf: "&assertion=".utf8)
        FormURLEncoding.append(assertion.utf8, to: &body)
        let response: HTTPResponse
        do {
            response = try await http.execute(
                HTTPRequest(
                    url: tokenURI, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body,
                    timeoutMilliseconds: 15_000))
        } catch {
            throw CredentialError("token endpoint unreachable: \(error.message)")
        }
        guard response.status == 200, case .object(let json)? = try? JSONParser().parse(response.body),
            case .string(let token)? = json["access_token"]
        else {
            throw CredentialError("token endpoint refused the service-account assertion (HTTP \(response.status))")
        }
        var lifetime = 3600.0
        if case .number(let seconds)? = json["expires_in"] { lifetime = seconds.double }
        let secret = Secret(token)
        cached.withLock { $0 = (secret, Date().addingTimeInterval(lifetime)) }
        return secret
    }

    /// `header.claims.signature`, base64url, RS256 (RFC 7519, RFC 7523 §3).
    func signedAssertion(now: Int64) throws(CredentialError) -> String {
        var header = JSONWriter()
        header.beginObject()
        header.key("alg"); header.string("RS256")
        header.key("typ"); header.string("JWT")
        if let keyID { header.key("kid"); header.string(keyID) }
        header.endObject()
        var claims = JSONWriter()
        claims.beginObject()
        claims.key("iss"); claims.string(clientEmail)
        claims.key("scope"); claims.string(Self.scope)
        claims.key("aud"); claims.string(tokenURI)
        claims.key("iat"); claims.integer(now)
        claims.key("exp"); claims.integer(now + 3600)
        claims.endObject()
        let signingInput = Base64URL.encode(header.bytes) + "." + Base64URL.encode(claims.bytes)
        do {
            return signingInput + "." + Base64URL.encode(try key.signRS256(Array(signingInput.utf8)))
        } catch {
            throw CredentialError("signing the service-account assertion failed")
        }
    }
}
