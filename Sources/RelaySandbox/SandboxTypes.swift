import RelayCore
import RelayCrypto
import RelayHTTPServer

/// A request as the sandbox saw it.
public typealias SandboxRequest = ServerRequest
/// The response the sandbox sends.
public typealias SandboxResponse = ServerResponse

/// One event a platform accepted: its dedup id and the SHA-256 of its exact bytes, so a test can
/// tell a byte-identical repeat (which the platform deduplicates) from a different payload.
public struct LedgerReceipt: Sendable, Equatable, Hashable {
    public var eventID: String
    /// `nil` when the sandbox runs without payload fingerprints (``SandboxServer/init(accounts:threads:fingerprintPayloads:receiptObserver:)``).
    public var payloadSHA256: String?
    /// Unix seconds of the event as sent.
    public var eventTime: Int64?
    /// When the sandbox accepted it (epoch milliseconds).
    public var receivedAtMilliseconds: Int64 = 0
}

/// A failure the sandbox injects into the next requests for one platform.
public struct InjectedFault: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// HTTP 429 with `Retry-After: seconds` and the platform's throttling body.
        case throttle(retryAfterSeconds: Int)
        /// HTTP 5xx with the platform's transient-error body.
        case serverError(status: Int)
        /// Drop the connection without a response.
        case dropConnection
    }

    public var kind: Kind
    /// How many requests it applies to.
    public var count: Int

    public init(_ kind: Kind, count: Int = 1) {
        self.kind = kind
        self.count = count
    }
}

/// Credentials and ids the sandbox expects, as a real account would have them. Every token is
/// obviously fake.
public struct SandboxAccounts: Sendable {
    public var metaPixelID = "1234567890"
    public var metaAccessToken = "sandbox-meta-token"
    public var googleOperatingAccountID = "1234567890"
    public var googleConversionActionID = "987654321"
    public var googleClientEmail = "relay@sandbox-project.iam.gserviceaccount.com"
    public var tiktokPixelCode = "CSANDBOXPIXEL01"
    public var tiktokAccessToken = "sandbox-tiktok-token"
    public var pinterestAdAccountID = "549755885175"
    public var pinterestAccessToken = "sandbox-pinterest-token"
    public var snapchatPixelID = "a1b2c3d4-sandbox-pixel"
    public var snapchatAccessToken = "sandbox-snapchat-token"

    public init() {}
}

/// Shared validation helpers.
enum Check {
    static func isLowerHexSHA256(_ value: JSONValue) -> Bool {
        guard case .string(let text) = value else { return false }
        return text.utf8.count == 64 && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Every value of `keys` in `object` is an array of lowercase SHA-256 hex digests (or one digest).
    static func hashedArrays(_ object: JSONObject, _ keys: [String]) -> String? {
        for key in keys {
            guard let field = object[key] else { continue }
            let values: [JSONValue]
            if case .array(let list) = field { values = list } else { values = [field] }
            if values.isEmpty || !values.allSatisfy(isLowerHexSHA256) { return "\(key) must hold SHA-256 hex digests" }
        }
        return nil
    }

    static func accepted(_ event: JSONValue, idKey: String, timeKey: String) -> AcceptedEvent? {
        guard case .object(let object) = event, case .string(let id)? = object[idKey] else { return nil }
        var time: Int64? = nil
        if case .number(let number)? = object[timeKey] { time = number.integer }
        if case .string(let text)? = object[timeKey] { time = RFC3339.parse(text)?.epochSeconds }
        return AcceptedEvent(eventID: id, eventTime: time, event: event)
    }

    static func jsonBody(_ request: SandboxRequest) -> JSONObject? {
        guard case .object(let object)? = try? JSONParser(maximumBytes: 64 << 20).parse(request.body) else { return nil }
        return object
    }
}

/// An event a platform accepted, as the sandbox records it in its ledger.
struct AcceptedEvent: Sendable {
    var eventID: String
    var eventTime: Int64?
    /// The event as sent, for the payload fingerprint.
    var event: JSONValue

    /// The SHA-256 of the event written back out (members in document order).
    var payloadFingerprint: String {
        var writer = JSONWriter()
        writer.value(event)
        return writer.withBytes { SHA256.hexDigest($0) }
    }
}

/// How one platform's API behaves: route, authenticate, validate, answer.
protocol SandboxPlatform: Sendable {
    var name: String { get }
    /// Whether this platform serves `request` (by path).
    func matches(_ request: SandboxRequest) -> Bool
    /// Handles a request; on success returns the events to record.
    func handle(_ request: SandboxRequest, nowSeconds: Int64) -> (SandboxResponse, [AcceptedEvent])
    /// The platform's answer to an injected fault.
    func faultResponse(_ fault: InjectedFault.Kind) -> SandboxResponse
}
