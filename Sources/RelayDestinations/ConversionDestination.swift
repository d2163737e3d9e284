import RelayCore
import RelayHTTP
import RelayPII

/// One ad platform's conversion API: how to encode an event, batch it, and read the answer.
///
/// Implementations are pure (no I/O): the relay sends the request and feeds the response back,
/// so encoders and classifiers are tested byte for byte without a network.
public protocol ConversionDestination: Sendable {
    /// Stable name used in config, metrics, headers and the ledger (`meta`, `google`, …).
    var name: String { get }
    var batchPolicy: BatchPolicy { get }

    /// Encodes one event as this platform's JSON event object, or says why it must not be sent.
    func encode(_ event: OrderEvent, eventID: String, nowSeconds: Int64) -> EncodingDecision

    /// The HTTP request that delivers `events` (already-encoded event objects, at most
    /// `batchPolicy.maximumEvents`).
    func makeRequest(_ events: [[UInt8]]) -> HTTPRequest

    /// What the platform's answer means for the whole batch.
    func classify(_ response: HTTPResponse, eventCount: Int) -> DeliveryOutcome
}

/// Whether and how one event goes to one destination.
public enum EncodingDecision: Sendable {
    case send([UInt8])
    case exclude(Exclusion)
}

/// Why an event is not sent to a destination.
public struct Exclusion: Sendable, Equatable {
    /// Short machine-readable class: `no_consent`, `too_old`, `missing_required_field`, …
    public var reason: String
    /// Human detail naming fields and rules, never values.
    public var detail: String
    /// True when the event should go to the dead-letter topic (it would have been sent but
    /// cannot be); false for deliberate policy skips (no consent).
    public var deadLetter: Bool

    public init(reason: String, detail: String, deadLetter: Bool) {
        self.reason = reason
        self.detail = detail
        self.deadLetter = deadLetter
    }
}

/// The platform's verdict on one request.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Every event was accepted.
    case delivered
    /// Try again later (throttling, outage); `retryAfterSeconds` when the platform said when.
    case retryable(reason: String, retryAfterSeconds: Double?)
    /// The request will never succeed as it is. `isolatable` is true when the platform rejects a
    /// whole batch because of one bad event, so splitting the batch finds it.
    case rejected(errorClass: String, reason: String, isolatable: Bool)
}

extension DeliveryOutcome {
    /// Reads a `Retry-After` header given in seconds (HTTP-date values are treated as absent).
    static func retryAfterSeconds(_ header: String?) -> Double? {
        guard let header, let seconds = Double(header.trimmingCharacters(in: " ")), seconds >= 0 else { return nil }
        return seconds
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return String(text)
    }
}

/// `application/x-www-form-urlencoded` encoding (RFC 3986 unreserved characters kept).
public enum FormURLEncoding {
    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    public static func append(_ bytes: some Sequence<UInt8>, to output: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                output.append(byte)
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
        }
    }
}
