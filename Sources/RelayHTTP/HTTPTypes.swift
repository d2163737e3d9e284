/// An HTTP request as the relay sends it.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    /// The body as the client sends it (piece by piece: see ``HTTPBody``).
    public var content: HTTPBody
    /// Whole-request timeout, in milliseconds.
    public var timeoutMilliseconds: Int

    public init(
        method: String = "POST", url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        timeoutMilliseconds: Int = 30_000
    ) {
        self.init(method: method, url: url, headers: headers, content: HTTPBody(body), timeoutMilliseconds: timeoutMilliseconds)
    }

    public init(
        method: String = "POST", url: String, headers: [(name: String, value: String)] = [], content: HTTPBody,
        timeoutMilliseconds: Int = 30_000
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.content = content
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The body in one array: a joined copy of ``content`` (for tests, previews and redaction;
    /// the client sends ``content`` without joining it).
    public var body: [UInt8] {
        get { content.bytes }
        set { content = HTTPBody(newValue) }
    }
}

/// A complete HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// The `Retry-After` header, if the server sent one.
    public var retryAfter: String?
    public var body: [UInt8]

    public init(status: Int, retryAfter: String? = nil, body: [UInt8]) {
        self.status = status
        self.retryAfter = retryAfter
        self.body = body
    }
}

/// A request that got no HTTP response: connection refused, timeout, TLS failure, shutdown.
///
/// The message comes from libcurl (`curl_easy_strerror`) and never contains the URL, so a token
/// carried in a query string cannot leak through it.
public struct HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case transport
        case timeout
        case shutdown
        case invalidRequest
    }

    public let kind: Kind
    public let message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

/// Anything that can execute requests: the libcurl client in production, a scripted double in tests.
public protocol HTTPExecutor: Sendable {
    func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse
}
