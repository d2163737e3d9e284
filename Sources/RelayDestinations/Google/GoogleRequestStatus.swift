import RelayCore
import RelayHTTP

/// What Data Manager says about one `events:ingest` request, later:
/// `GET /v1/requestStatus:retrieve?requestId=…` answers `{"requestStatusPerDestination":[{
/// "requestStatus":"SUCCESS|PROCESSING|FAILED|PARTIAL_SUCCESS", "errorInfo":{"errorCounts":[{
/// "reason":"EVENT_TOO_OLD","recordCount":"3"}]}, "eventsIngestionStatus":{"recordCount":"10"}}]}`
/// (googleapis datamanager_v1 types/request_status_per_destination.py, ingestion_service.py;
/// `recordCount` is an int64, a JSON string in proto3). The relay sends one destination per
/// request, so the first entry is its status.
public struct GoogleRequestStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        case success = "SUCCESS"
        case processing = "PROCESSING"
        case failed = "FAILED"
        case partialSuccess = "PARTIAL_SUCCESS"
        case unknown = "REQUEST_STATUS_UNKNOWN"
    }

    /// Records that failed for one reason (a `ProcessingErrorReason` name such as `EVENT_TOO_OLD`).
    public struct ErrorCount: Sendable, Equatable {
        public var reason: String
        public var count: Int
        public init(reason: String, count: Int) {
            self.reason = reason
            self.count = count
        }
    }

    public var state: State
    /// Events in the request, when Google says.
    public var recordCount: Int?
    public var errors: [ErrorCount]

    public init(state: State, recordCount: Int? = nil, errors: [ErrorCount] = []) {
        self.state = state
        self.recordCount = recordCount
        self.errors = errors
    }

    /// The status in a `requestStatus:retrieve` body, or `nil` when the body is not one.
    public static func parse(_ body: [UInt8]) -> GoogleRequestStatus? {
        guard case .object(let root)? = try? JSONParser().parse(body),
            case .array(let destinations)? = root["requestStatusPerDestination"],
            case .object(let first)? = destinations.first
        else { return nil }
        var state = State.unknown
        if case .string(let text)? = first["requestStatus"] { state = State(rawValue: text) ?? .unknown }
        var status = GoogleRequestStatus(state: state)
        if case .object(let ingestion)? = first["eventsIngestionStatus"] { status.recordCount = integer(ingestion["recordCount"]) }
        if case .object(let info)? = first["errorInfo"], case .array(let counts)? = info["errorCounts"] {
            for case .object(let count) in counts {
                guard case .string(let reason)? = count["reason"] else { continue }
                status.errors.append(ErrorCount(reason: reason, count: integer(count["recordCount"]) ?? 0))
            }
        }
        return status
    }

    /// An int64 as proto3 JSON writes it (a string), or as a number.
    private static func integer(_ value: JSONValue?) -> Int? {
        switch value {
        case .string(let text)?: Int(text)
        case .number(let number)?: number.integer.map(Int.init)
        default: nil
        }
    }
}

/// Receives the id of every request Data Manager accepted (for ``GoogleRequestStatusPolicy``
/// sampling). Called from ``GoogleDestination/classify(_:eventCount:)``: it must only record, never
/// block or do I/O.
public protocol GoogleAcceptedRequestObserver: Sendable {
    func accepted(requestID: String, events: Int)
}

extension GoogleDestination {
    /// `GET /v1/requestStatus:retrieve?requestId=…` on this destination's endpoint (unauthorised:
    /// ``authorize(_:forceRefresh:)`` adds the token, as for ingestion).
    public func requestStatusRequest(requestID: String) -> HTTPRequest {
        HTTPRequest(
            method: "GET", url: endpointURL(configuration.endpoint, "/v1/requestStatus:retrieve?requestId=") + Self.queryEscaped(requestID),
            timeoutMilliseconds: configuration.timeoutMilliseconds)
    }

    /// The `requestId` of an `events:ingest` success body (`{"requestId":"…"}`).
    static func requestID(in body: [UInt8]) -> String? {
        guard case .object(let root)? = try? JSONParser().parse(body), case .string(let id)? = root["requestId"], !id.isEmpty else {
            return nil
        }
        return id
    }

    /// Unreserved characters (RFC 3986) as they are, every other byte percent-encoded.
    static func queryEscaped(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                result += "%" + String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return result
    }
}
