import RelayHTTPServer
@testable import RelaySandbox
import Testing

/// The byte search the unsampled requests are counted with.
@Suite struct EventIDScanTests {
    @Test func findsEveryMemberValueInOrderWithOrWithoutSpaces() {
        let body = Array(#"{"data":[{"event_id":"ORD-1","x":1},{"event_id" : "ORD-2"},{"event_id":"ORD-3"}]}"#.utf8)
        #expect(EventIDScan.stringValues(of: "event_id", in: body) == ["ORD-1", "ORD-2", "ORD-3"])
    }

    @Test func theKeyInsideAStringIsNoMember() {
        let body = Array(#"{"ua":"a \"event_id\":\"fake\" b","name\"event_id":"fake","event_id":"ORD-1"}"#.utf8)
        #expect(EventIDScan.stringValues(of: "event_id", in: body) == ["ORD-1"])
    }

    @Test func anEscapedOrNonStringValueIsLeftToTheFullPath() {
        #expect(EventIDScan.stringValues(of: "event_id", in: Array(#"[{"event_id":"OR\"D"}]"#.utf8)) == nil)
        #expect(EventIDScan.stringValues(of: "event_id", in: Array(#"[{"event_id":"ORD\\"}]"#.utf8)) == nil)
        #expect(EventIDScan.stringValues(of: "event_id", in: Array(#"[{"event_id":12}]"#.utf8)) == nil)
        #expect(EventIDScan.stringValues(of: "event_id", in: Array(#"[{"event_id":"unterminated"#.utf8)) == nil)
    }

    @Test func aValueEndingTheBodyOrEmptyIsReadAndAnOpenOneIsNot() {
        #expect(EventIDScan.stringValues(of: "event_id", in: Array(#""event_id":"ORD-9""#.utf8)) == ["ORD-9"])
        #expect(EventIDScan.stringValues(of: "event_id", in: Array(#"{"event_id":"","event_id":"ORD-1"}"#.utf8)) == ["", "ORD-1"])
        #expect(EventIDScan.stringValues(of: "event_id", in: Array(#"{"event_id":""#.utf8)) == nil)
    }

    /// The JSON format lets a member of the same name sit in a nested object: it is counted too
    /// (the relay's encoders write none; the harness would report it as a duplicate).
    @Test func membersInNestedObjectsAreCountedInOrder() {
        let body = Array(#"{"data":[{"event_id":"A","custom":{"event_id":"B","list":[{"event_id":"C"}]}},{"event_id":"D"}]}"#.utf8)
        #expect(EventIDScan.stringValues(of: "event_id", in: body) == ["A", "B", "C", "D"])
    }

    /// An id at any offset, across the 4 KiB the anchor is chosen from, or ending the body, with
    /// near misses of every byte the search may anchor on before it.
    @Test func anIDIsFoundWhereverItSits() {
        // Filler with near misses: the key's bytes alone and in part.
        let filler = Array(#""_"event_x"ev_id"vent_i"d""#.utf8)
        for lead in Array(0..<40) + Array((ByteSearch.sampleBytes - 24)..<(ByteSearch.sampleBytes + 4)) {
            for trail in [0, 1, 2, 7, 16, 17] {
                let prefix = (0..<lead).map { filler[$0 % filler.count] }
                let body = prefix + Array(#" ,"event_id":"ORD-1234567"}"#.utf8) + Array(repeating: UInt8(ascii: " "), count: trail)
                #expect(EventIDScan.stringValues(of: "event_id", in: body) == ["ORD-1234567"], "lead \(lead), trail \(trail)")
            }
        }
    }

    /// `range` limits the scan to part of the body (Meta's `data` part).
    @Test func onlyTheRangeIsScanned() {
        let body = Array(#"{"event_id":"A"} {"event_id":"B","event_id":"C"} {"event_id":"D"}"#.utf8)
        let start = body.firstIndex(of: UInt8(ascii: " "))! + 1
        let end = body.lastIndex(of: UInt8(ascii: " "))!
        #expect(EventIDScan.stringValues(of: "event_id", in: body, range: start..<end) == ["B", "C"])
        #expect(EventIDScan.stringValues(of: "event_id", in: body, range: start..<(start + 10)) == [])
    }

    @Test func aValueIsLookedForWithoutCollectingTheOthers() {
        let body = Array(#"[{"adUserData":"CONSENT_GRANTED"},{"adUserData" : "CONSENT_DENIED"}]"#.utf8)
        #expect(EventIDScan.anyStringValue(of: "adUserData", is: "CONSENT_DENIED", in: body) == true)
        #expect(EventIDScan.anyStringValue(of: "adUserData", is: "CONSENT_DENIED", in: Array(#"[{"adUserData":"CONSENT_GRANTED"}]"#.utf8)) == false)
        #expect(EventIDScan.anyStringValue(of: "adUserData", is: "CONSENT", in: body) == false)
        #expect(EventIDScan.anyStringValue(of: "adUserData", is: "CONSENT_DENIED", in: Array(#"[{"adUserData":"C\u0041"}]"#.utf8)) == nil)
        #expect(EventIDScan.anyStringValue(of: "adUserData", is: "CONSENT_DENIED", in: Array(#"[{"adUserData":1}]"#.utf8)) == nil)
    }

    @Test func trueIsFoundWhereverTheKeyIs() {
        #expect(EventIDScan.anyIsTrue("validateOnly", in: Array(#"{"validateOnly": true}"#.utf8)))
        #expect(!EventIDScan.anyIsTrue("validateOnly", in: Array(#"{"validateOnly":false,"x":true}"#.utf8)))
    }
}

/// The block search under the scan, against a byte-by-byte reference.
@Suite struct ByteSearchTests {
    /// The first offset of `needle` at or after `start`, one position at a time.
    static func reference(_ needle: [UInt8], in body: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, body.count >= needle.count, start <= body.count - needle.count else { return nil }
        return (start...(body.count - needle.count)).first { body[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Bodies drawn from the needle's own bytes (so near misses are everywhere), every start,
    /// anchored on each of the needle's bytes and on the one the body's sample picks.
    @Test(arguments: [#""event_id""#, #""transactionId""#, "name=\"access_token\"\r\n", "x", "ab"])
    func findsWhatAByteByByteSearchFinds(needle: String) {
        var generator = SplitMix64(seed: 23)
        let bytes = Array(needle.utf8)
        let alphabet = bytes + Array(#"{}[],:" 0a"#.utf8)
        for length in [0, 1, 2, 15, 16, 17, 33, 100, 1000] {
            for _ in 0..<6 {
                var body = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
                if length > bytes.count, generator.next() % 2 == 0 {  // a whole needle somewhere
                    let at = Int(generator.next() % UInt64(length - bytes.count))
                    body.replaceSubrange(at..<(at + bytes.count), with: bytes)
                }
                body.withUnsafeBufferPointer { buffer in
                    let searches = bytes.indices.map { ByteSearch(needle, anchor: $0) } + [ByteSearch(needle, sampling: buffer)]
                    for start in 0...length {
                        let expected = Self.reference(bytes, in: body, from: start)
                        for search in searches {
                            #expect(search.firstOffset(in: buffer, from: start) == expected, "\(needle) anchored at \(search.anchor), from \(start) of \(length)")
                        }
                    }
                }
            }
        }
    }

    /// The anchor is the needle's byte rarest in the sample: here `v`, of `"event_id"`.
    @Test func theAnchorIsTheRarestByteOfTheSample() {
        let body = Array(#"{"event_name":"x","event_time":1,"user_data":{"client_ip":"i","ad":"d_d"},"event_id":"e"}"#.utf8)
        let search = body.withUnsafeBufferPointer { ByteSearch(#""event_id""#, sampling: $0) }
        #expect(search.anchor == 2)
    }

    @Test func aNeedleCutByTheEndIsNotFound() {
        let needle = #""event_id""#
        for anchor in 0..<needle.utf8.count {
            let search = ByteSearch(needle, anchor: anchor)
            for length in 1..<search.needle.count {
                let body = Array(repeating: UInt8(ascii: " "), count: 40) + search.needle.prefix(length)
                #expect(body.withUnsafeBufferPointer { search.firstOffset(in: $0, from: 0) } == nil)
            }
            let whole = Array(repeating: UInt8(ascii: " "), count: 40) + search.needle
            #expect(whole.withUnsafeBufferPointer { search.firstOffset(in: $0, from: 0) } == 40)
            #expect(whole.withUnsafeBufferPointer { search.firstOffset(in: $0, from: 41) } == nil)
        }
    }
}

/// A small seeded generator (SplitMix64), so a failure repeats.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Meta's cheap path reads the multipart parts as the full path does: the token part's content,
/// no `test_event_code` part, the ids of `data` only.
@Suite struct MetaSandboxScanTests {
    let sandbox = MetaSandbox(pixelID: "123", accessToken: "tok")

    func request(_ parts: [(String, String)], query: [String: String] = [:]) -> SandboxRequest {
        var body = ""
        for (name, content) in parts { body += "--B\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(content)\r\n" }
        body += "--B--\r\n"
        return SandboxRequest(
            method: "POST", path: "/v26.0/123/events", query: query, headers: ["content-type": "multipart/form-data; boundary=B"],
            body: Array(body.utf8))
    }

    static let data = #"[{"event_id":"ORD-1"},{"event_id":"ORD-2"}]"#

    @Test func theRelaysBodyIsCountedFromItsDataPart() throws {
        let (response, ids) = try #require(sandbox.acceptWithoutValidating(request([("data", Self.data), ("access_token", "tok")])))
        #expect(ids == ["ORD-1", "ORD-2"])
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self).hasPrefix(#"{"events_received":2,"messages":[]"#))
    }

    @Test func anythingElseTakesTheFullPath() {
        for parts in [
            [("data", Self.data), ("access_token", "wrong")],
            [("data", Self.data), ("access_token", "tokx")],
            [("data", Self.data + #" "access_token" tok"#)],  // the token only inside data
            [("data", Self.data), ("access_token", "tok"), ("test_event_code", "TEST1")],
            [("data", Self.data), ("access_token", "tok"), ("test_event_code", "")],
            [("access_token", "tok")],
            [("data", "[]"), ("access_token", "tok"), ("other", Self.data)],  // ids outside data
        ] {
            #expect(sandbox.acceptWithoutValidating(request(parts)) == nil, "\(parts.map(\.0))")
        }
        #expect(sandbox.acceptWithoutValidating(request([("data", Self.data), ("access_token", "tok")], query: ["test_event_code": "T"])) == nil)
    }
}

/// The cheap path's answers are the full path's bytes.
@Suite struct SandboxCheapAnswerTests {
    @Test(arguments: [0, 1, 2, 1000])
    func pinterestsAllProcessedAnswerIsTheGeneralOnesBytes(count: Int) {
        let general = PinterestSandbox.conversionAPIResponse(Array(repeating: nil, count: count))
        #expect(String(decoding: PinterestSandbox.allProcessedResponse(count), as: UTF8.self) == general)
    }
}
