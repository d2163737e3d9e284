import Foundation
import RelayCore
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

    /// The transfer thread carries its name to the OS (top -H, perf and /proc show it): on Linux
    /// a Foundation name set before `start()` never reached it, and every relay thread showed as
    /// the GCD thread that started it.
    @Test func theTransferThreadIsNamedForTheOS() async throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        func threadNames() -> [String] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
            return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        // The thread names itself once it runs: wait for that (bounded), not for a fixed time.
        let deadline = ContinuousClock.now + .seconds(10)
        while !threadNames().contains("relay-http"), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(threadNames().contains("relay-http"))
    }

    /// A body sent piece by piece (a JSON array of event payloads) arrives as its joined bytes,
    /// with elements that straddle curl's 16 KiB and 64 KiB upload buffers and empty ones.
    @Test func jsonArrayBodiesArriveAsTheirJoinedBytes() async throws {
        let server = try await LocalHTTPServer(host: "127.0.0.1", port: 0, threads: 2) { request in
            ServerReply(ServerResponse(status: 200, body: Array("\(request.body.count) \(SHA256.hexDigest(request.body))".utf8)))
        }
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let elementSizes = [[], [0], [1, 16_383, 3, 65_536, 0, 70_001], Array(repeating: 997, count: 1_000)]
        for sizes in elementSizes {
            let elements = sizes.enumerated().map { index, size in (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) } }
            let content = HTTPBody(jsonArray: elements, prefix: "{\"data\":", suffix: "}")
            let joined = Array("{\"data\":[".utf8) + Array(elements.joined(separator: [UInt8(ascii: ",")])) + Array("]}".utf8)
            let response = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(server.port)/echo", content: content))
            #expect(String(decoding: response.body, as: UTF8.self) == "\(joined.count) \(SHA256.hexDigest(joined))", "elements of \(sizes.prefix(8)) bytes")
        }
        try await server.shutdown()
    }
}

/// A body made of pieces reads, in chunks of any size and from any offset, as its joined bytes.
@Suite struct HTTPBodyTests {
    static let elements: [[UInt8]] = [Array("{\"a\":1}".utf8), [], Array("\"x\"".utf8), Array(repeating: 0x37, count: 300)]

    @Test func aJSONArrayIsItsPrefixElementsAndSuffix() {
        let content = HTTPBody(jsonArray: Self.elements, prefix: "{\"data\":", suffix: "}")
        let expected = Array(("{\"data\":[{\"a\":1},,\"x\"," + String(repeating: "7", count: 300) + "]}").utf8)
        #expect(content.bytes == expected)
        #expect(content.count == expected.count)
        #expect(content.ownedByteCount == "{\"data\":[".utf8.count + "]}".utf8.count)
        #expect(HTTPBody(jsonArray: [PayloadSlice](), prefix: "{\"data\":", suffix: "}").bytes == Array("{\"data\":[]}".utf8))
        #expect(HTTPBody(jsonArray: [Array("1".utf8)], prefix: "", suffix: "").bytes == Array("[1]".utf8))
        #expect(HTTPBody(Array("plain".utf8)).bytes == Array("plain".utf8))
        #expect(HTTPBody(Array("plain".utf8)).ownedByteCount == 5)
    }

    /// As the preparer makes them: every element a slice of one shared block, at its own offset.
    @Test func slicesOfOneBlockReadAsTheirOwnBytes() {
        let block = PayloadBlock(reservingCapacity: 16)
        let slices = ["{\"a\":1}", "", "\"bb\"", String(repeating: "7", count: 100)].map { text in
            let start = block.writer.count
            block.writer.fragment(Array(text.utf8))
            return PayloadSlice(block, offset: start, count: block.writer.count - start)
        }
        let expected = Array(("[{\"a\":1},,\"bb\"," + String(repeating: "7", count: 100) + "]").utf8)
        let content = HTTPBody(jsonArray: slices, prefix: "", suffix: "")
        #expect(content.bytes == expected)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 3, alignment: 1)
        defer { chunk.deallocate() }
        var reader = HTTPBody.Reader(content)
        var read: [UInt8] = []
        while case let length = reader.read(into: chunk), length > 0 { read += chunk[..<length] }
        #expect(read == expected, "in chunks of 3")
    }

    @Test func chunksOfAnySizeReadTheJoinedBytes() {
        let content = HTTPBody(jsonArray: Self.elements, prefix: "{\"data\":", suffix: "}")
        for chunkSize in [1, 2, 3, 7, 64, 4096] {
            var reader = HTTPBody.Reader(content)
            var read: [UInt8] = []
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
            defer { chunk.deallocate() }
            while true {
                let length = reader.read(into: chunk)
                guard length > 0 else { break }
                #expect(length <= chunkSize)
                read += chunk[..<length]
            }
            #expect(read == content.bytes, "chunks of \(chunkSize)")
        }
    }

    @Test func aSeekResumesAtTheOffset() {
        let content = HTTPBody(jsonArray: Self.elements, prefix: "{\"data\":", suffix: "}")
        let bytes = content.bytes
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 5, alignment: 1)
        defer { chunk.deallocate() }
        for offset in 0...bytes.count {
            var reader = HTTPBody.Reader(content)
            _ = reader.read(into: chunk)  // somewhere else first, as curl is when it rewinds
            let moved = reader.seek(to: offset)
            #expect(moved)
            var rest: [UInt8] = []
            while true {
                let length = reader.read(into: chunk)
                guard length > 0 else { break }
                rest += chunk[..<length]
            }
            #expect(rest == Array(bytes[offset...]), "from offset \(offset)")
        }
        var reader = HTTPBody.Reader(content)
        let pastTheEnd = reader.seek(to: bytes.count + 1)
        let beforeTheStart = reader.seek(to: -1)
        #expect(!pastTheEnd && !beforeTheStart)
    }
}

/// What the relay form-encodes (Snapchat's token in its URL, secrets in redactions), the
/// sandbox's form decoder reads back exactly.
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

    /// A reserved character at every position of inputs of every length up to 40 comes out as
    /// its escape, and every kept character as itself.
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

/// The sandbox reads Meta's multipart bodies as Meta's Graph API would: fields by name, contents
/// as sent, and nothing from a body that is not multipart with the announced boundary.
@Suite struct MultipartFormDecodingTests {
    @Test func theBoundaryIsReadFromTheContentType() {
        #expect(MultipartFormDecoding.boundary(ofContentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartFormDecoding.boundary(ofContentType: "Multipart/Form-Data;charset=utf-8; Boundary=\"a b\"") == "a b")
        #expect(MultipartFormDecoding.boundary(ofContentType: "multipart/form-data") == nil)
        #expect(MultipartFormDecoding.boundary(ofContentType: "multipart/form-data; boundary=") == nil)
        #expect(MultipartFormDecoding.boundary(ofContentType: "application/x-www-form-urlencoded; boundary=abc") == nil)
    }

    @Test func partsAreReadByNameWithTheirContentsAsSent() throws {
        let body = "preamble\r\n--B\r\nContent-Disposition: form-data; name=\"data\"\r\nContent-Type: application/json\r\n\r\n"
            + "[\"--B\",\"x\\r\\n--B\"]\r\n--B \r\ncontent-disposition: form-data; name=empty\r\n\r\n\r\n--B\r\n"
            + "Content-Disposition: form-data; name=\"token\"\r\n\r\nt\r\nk\r\n--B--\r\nepilogue"
        let parts = try #require(MultipartFormDecoding.decodeBytes(Array(body.utf8), boundary: "B"))
        #expect(parts.mapValues { String(decoding: $0, as: UTF8.self) } == ["data": "[\"--B\",\"x\\r\\n--B\"]", "empty": "", "token": "t\r\nk"])
    }

    /// The parts in order with where their contents lie, a repeated name repeated, no copies.
    @Test func partRangesPointIntoTheBody() throws {
        let text = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n"
            + "\r\n--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n33\r\n--B--"
        let body = Array(text.utf8)
        let parts = try #require(MultipartFormDecoding.partRanges(body, boundary: "B"))
        #expect(parts.map(\.name) == ["a", "b", "a"])
        #expect(parts.map { String(decoding: body[$0.content], as: UTF8.self) } == ["1", "", "33"])
        #expect(MultipartFormDecoding.decodeBytes(body, boundary: "B")?["a"] == Array("33".utf8))
    }

    @Test func whatIsNotMultipartWithTheBoundaryIsRefused() {
        for body in [
            "", "--C\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--C--",  // another boundary
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1",  // never closed
            "--B\r\nContent-Disposition: form-data\r\n\r\n1\r\n--B--",  // a part without a name
            "--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\n1\r\n--B--",  // not form-data
            "--Bx\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B--",  // no line break after the boundary
        ] {
            #expect(MultipartFormDecoding.decodeBytes(Array(body.utf8), boundary: "B") == nil, "\(body)")
        }
    }
}
