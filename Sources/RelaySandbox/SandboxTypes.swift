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

    public init(eventID: String, payloadSHA256: String? = nil, eventTime: Int64? = nil, receivedAtMilliseconds: Int64 = 0) {
        self.eventID = eventID
        self.payloadSHA256 = payloadSHA256
        self.eventTime = eventTime
        self.receivedAtMilliseconds = receivedAtMilliseconds
    }
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

/// Shared validation helpers. Request bodies are read as a ``JSONTape`` (no tree of a
/// 1,000-event request), so checks read values in place.
enum Check {
    /// Every value of `keys` in `object` is an array of lowercase SHA-256 hex digests (or one digest).
    static func hashedArrays(_ object: JSONTape.Object, _ keys: [String]) -> String? {
        for key in keys {
            guard let field = object[key] else { continue }
            let valid = field.array.map { !$0.isEmpty && $0.allSatisfy(\.isLowerHexSHA256) } ?? field.isLowerHexSHA256
            if !valid { return "\(key) must hold SHA-256 hex digests" }
        }
        return nil
    }

    static func accepted(_ event: JSONTape.Value, idKey: String, timeKey: String) -> AcceptedEvent? {
        guard let object = event.object, let id = object[idKey]?.string else { return nil }
        var time: Int64? = nil
        if let field = object[timeKey] {
            time = field.number?.integer ?? field.string.flatMap { RFC3339.parse($0)?.epochSeconds }
        }
        return AcceptedEvent(eventID: id, eventTime: time, event: event)
    }

    static func jsonBody(_ request: SandboxRequest) -> JSONTape.Object? {
        (try? JSONTape(parsing: request.body, maximumBytes: 64 << 20))?.root.object
    }
}

/// An event a platform accepted, as the sandbox records it in its ledger.
struct AcceptedEvent: Sendable {
    var eventID: String
    var eventTime: Int64?
    /// The event as sent, for the payload fingerprint.
    var event: JSONTape.Value

    /// The SHA-256 of the event's bytes exactly as sent.
    var payloadFingerprint: String { SHA256.hexDigest(event.rawBytes) }
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
    /// The benchmark's cheap path for a request not sampled for full validation: the platform's
    /// route and credential checks, then its success answer and the event ids found by
    /// ``EventIDScan`` (the events themselves are not checked). Nil when the request needs the
    /// full path: a test mode, wrong credentials, no events found, or ids the scan cannot read.
    func acceptWithoutValidating(_ request: SandboxRequest) -> (SandboxResponse, [String])?
}

extension SandboxPlatform {
    func acceptWithoutValidating(_ request: SandboxRequest) -> (SandboxResponse, [String])? { nil }
}
