import RelayCrypto
import RelayHTTP
import RelayHTTPServer
import Testing

/// The local server collects each request's body into one array reserved from its
/// `Content-Length` and reused by the connection's next request.
@Suite struct LocalHTTPServerTests {
    /// Large, small, empty and large again over one client (curl keeps the connection): each
    /// request sees its own bytes only, none of a longer one before it.
    @Test func eachRequestOnAConnectionHasItsOwnBody() async throws {
        let server = try await LocalHTTPServer(host: "127.0.0.1", port: 0) { request in
            ServerReply(ServerResponse(status: 200, body: Array("\(request.body.count) \(SHA256.hexDigest(request.body))".utf8)))
        }
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        for size in [2_000_003, 10, 0, 1, 300_001, 5] {
            let body = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ size) }
            let response = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/echo", body: body))
            #expect(String(decoding: response.body, as: UTF8.self) == "\(size) \(SHA256.hexDigest(body))", "body of \(size) bytes")
        }
        try await server.shutdown()
    }
}
