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

    /// Runs of kept characters are copied eight bytes at a time: a reserved character at every
    /// position of inputs of every length up to 40 must still come out as its escape, exactly as
    /// the byte-by-byte rule writes it.
    @Test func runsOfKeptCharactersEncodeAsEachByteDoes() {
        func reference(_ bytes: [UInt8]) -> [UInt8] {
            bytes.flatMap { byte -> [UInt8] in
                let kept = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || Array("-._~".utf8).contains(byte)
                return kept ? [byte] : Array("%".utf8) + Array(String(byte, radix: 16, uppercase: true).leftPadded(to: 2).utf8)
            }
        }
        let kept = Array("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-._~".utf8)
        for length in 0...40 {
            let plain = (0..<length).map { kept[($0 * 7) % kept.count] }
            var inputs = [plain]
            for position in 0..<length {
                for reserved in Array("\"%+ &=/".utf8) + [0x00, 0x7F, 0x80, 0xFF] {
                    var input = plain
                    input[position] = reserved
                    inputs.append(input)
                }
            }
            for input in inputs {
                var body: [UInt8] = Array("x".utf8)
                FormURLEncoding.append(input, to: &body)
                #expect(body == Array("x".utf8) + reference(input), "\(input)")
            }
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

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
