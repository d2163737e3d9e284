import RelayCrypto
import RelayDestinations
import RelayHTTP
import RelayHTTPServer
import Testing

/// The HTTP client streams request bodies to the server through curl's read callback; every byte
/// must arrive, in order, for bodies around curl's buffer sizes and far beyond them.
@Suite struct CurlHTTPClientTests {
    @Test func postBodiesArriveIntactWhateverTheirSize() async throws {
        // The server answers with the length and SHA-256 of the body it received.
        let server = try await LocalHTTPServer(host: "127.0.0.1", port: 0, threads: 2) { request in
            ServerReply(ServerResponse(status: 200, body: Array("\(request.body.count) \(SHA256.hexDigest(request.body))".utf8)))
        }
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        var generator = SystemRandomNumberGenerator()
        let sizes = [0, 1, 16_383, 16_384, 65_537, 1_000_003, 3 << 20]
        let bodies = sizes.map { size in (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        // All at once, so transfers share the loop thread and interleave their reads.
        try await withThrowingTaskGroup(of: (Int, HTTPResponse).self) { group in
            for (index, body) in bodies.enumerated() {
                group.addTask {
                    (index, try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/echo", body: body)))
                }
            }
            for try await (index, response) in group {
                #expect(response.status == 200)
                let expected = "\(bodies[index].count) \(SHA256.hexDigest(bodies[index]))"
                #expect(String(decoding: response.body, as: UTF8.self) == expected, "body of \(sizes[index]) bytes")
            }
        }
        try await server.shutdown()
    }
}

/// What the Meta destination form-encodes, the sandbox's form decoder reads back exactly.
@Suite struct FormEncodingRoundTripTests {
    @Test func everyByteSurvivesEncodingAndDecoding() throws {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 64, 4096] {
            let value = String(decoding: (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }, as: UTF8.self)
            var body = Array("data=".utf8)
            FormURLEncoding.append(value.utf8, to: &body)
            body.append(contentsOf: "&access_token=a+b%2".utf8)
            let fields = FormDecoding.decode(body)
            #expect(fields["data"] == value, "length \(length)")
            // `+` is a space; a `%` without two hex digits is kept as it is.
            #expect(fields["access_token"] == "a b%2")
        }
    }

    /// The pair splitting: empty pairs skipped, a key without `=` has an empty value, only the
    /// first `=` separates, and keys are percent-decoded too.
    @Test func pairsSplitAsFormsDo() {
        let fields = FormDecoding.decodeBytes(Array("&a=1&&b&c=&d=x=y&e%3Df=%26&".utf8))
        #expect(fields == ["a": Array("1".utf8), "b": [], "c": [], "d": Array("x=y".utf8), "e=f": Array("&".utf8)])
        #expect(FormDecoding.decodeBytes([]).isEmpty)
        #expect(FormDecoding.decodeBytes(Array("=v".utf8)) == ["": Array("v".utf8)])
    }
}
