import Foundation
import RelayHTTP
import Synchronization

/// The platforms' APIs in memory: each request is recorded (platform, body, the order ids it
/// carries, its bearer token, when it came) and answered by the test's script, which may wait on
/// a ``Gate`` first (a request in flight). ``Answer`` builds the platforms' documented bodies, so
/// the real destinations classify them (destinations.md: Meta §1, Google §2, Pinterest §4).
final class ScriptedHTTPExecutor: HTTPExecutor {
    struct Request: Sendable {
        /// The endpoint's host: `meta`, `google`, `pinterest` (see ``EngineHarness``).
        var platform: String
        var body: String
        /// The order ids of the events it carries, in request order (event id = order id).
        var orderIDs: [String]
        var bearerToken: String?
        var receivedAt: ContinuousClock.Instant
        /// When it came, in milliseconds since the epoch (to compare with a retry's not-before time).
        var receivedAtEpochMilliseconds: Int64
        /// Its place among all requests (0, 1, …).
        var number: Int

        func carries(_ orderID: String) -> Bool { orderIDs.contains(orderID) }
    }

    typealias Script = @Sendable (Request) async -> HTTPResponse

    private let script: Mutex<Script>
    private let log = Mutex<[Request]>([])

    /// Answers every request with `script` (by default: accepted).
    init(_ script: @escaping Script = { Answer.accepted($0) }) {
        self.script = Mutex(script)
    }

    /// Answers the requests from now on with `script`.
    func answer(with script: @escaping Script) { self.script.withLock { $0 = script } }

    var requests: [Request] { log.withLock { $0 } }
    func requests(_ platform: String) -> [Request] { requests.filter { $0.platform == platform } }

    func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
        let body = String(decoding: request.body, as: UTF8.self)
        var orderIDs: [String] = []
        for match in body.matches(of: /ORD-[0-9]+-[0-9]+/) where !orderIDs.contains(String(match.output)) {
            orderIDs.append(String(match.output))
        }
        let token = request.headers.first { $0.name == "Authorization" }.map { $0.value.replacing("Bearer ", with: "") }
        let recorded = log.withLock { log in
            let entry = Request(
                platform: URL(string: request.url)?.host ?? "", body: body, orderIDs: orderIDs, bearerToken: token,
                receivedAt: .now, receivedAtEpochMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), number: log.count)
            log.append(entry)
            return entry
        }
        let script = self.script.withLock { $0 }
        return await script(recorded)
    }
}

/// The platforms' answers, as their documentation shows them.
enum Answer {
    /// Every event accepted: Meta `events_received`, Google a request id, Pinterest one
    /// `processed` status per event, or `failed` (naming the field) for the order ids in
    /// `pinterestFailing` (its partial failure).
    static func accepted(_ request: ScriptedHTTPExecutor.Request, pinterestFailing failing: Set<String> = []) -> HTTPResponse {
        switch request.platform {
        case "meta":
            return json(200, #"{"events_received":\#(request.orderIDs.count),"messages":[],"fbtrace_id":"AbC"}"#)
        case "google":
            return json(200, #"{"requestId":"request-\#(request.number)"}"#)
        default:
            let statuses = request.orderIDs.map { id in
                failing.contains(id)
                    ? #"{"status":"failed","error_message":"event_time: must not be in the future","warning_message":null}"#
                    : #"{"status":"processed","error_message":null,"warning_message":null}"#
            }
            return json(
                200,
                #"{"num_events_received":\#(statuses.count),"num_events_processed":\#(request.orderIDs.filter { !failing.contains($0) }.count),"events":[\#(statuses.joined(separator: ","))]}"#
            )
        }
    }

    /// Meta's transient Graph error (code 2) as a 503.
    static let metaUnavailable = json(503, #"{"error":{"message":"Service temporarily unavailable","type":"OAuthException","code":2,"is_transient":true}}"#)

    /// A 503 without a body (any platform: 5xx retries).
    static let unavailable = HTTPResponse(status: 503, body: [])

    /// Meta's throttling answer (code 4) with `Retry-After`.
    static func metaThrottled(retryAfter: String) -> HTTPResponse {
        HTTPResponse(
            status: 429, retryAfter: retryAfter,
            body: Array(#"{"error":{"message":"Application request limit reached","type":"OAuthException","code":4}}"#.utf8))
    }

    /// Meta's invalid-parameter answer (code 100), which one bad event in a batch causes.
    static let metaInvalidParameter = json(
        400,
        #"{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"error_subcode":2804003,"error_user_title":"Event Timestamp Too Far In The Future","fbtrace_id":"AbC"}}"#
    )

    /// Google's 401 for an expired token.
    static let googleUnauthenticated = json(
        401, #"{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}"#)

    static func json(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, body: Array(text.utf8))
    }
}

/// Requests wait here until the test opens it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if state.open { return true }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    var waiting: Int { state.withLock { $0.waiting.count } }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
