import Foundation
import RelayCore
@testable import RelayDestinations
import RelayHTTP
@testable import RelaySandbox
import Testing

/// The scan that tells an all-processed 200 without a parse answers `true` only where the full
/// parse finds exactly one `processed` status per event, and does answer `true` for the compact
/// all-processed body (else it would save nothing).
@Suite struct PinterestResponseScanTests {
    @Test func theAllProcessedBodyIsToldWithoutAParseAndOnlyForItsCount() {
        for count in [1, 2, 7, 1_000] {
            let body = PinterestSandbox.allProcessedResponse(count)
            #expect(PinterestResponseScan.allProcessed(body, eventCount: count), "\(count)")
            #expect(!PinterestResponseScan.allProcessed(body, eventCount: count + 1))
            #expect(!PinterestResponseScan.allProcessed(body, eventCount: count - 1))
        }
    }

    /// What the scan does not vouch for, though each body (but the last two) parses with its one
    /// event processed: the full parse decides these.
    @Test(arguments: [
        #"{"events":[{"status":"processed","error_message":"say \"hi\"","warning_message":null}]}"#,
        #"{"events":[{"status":"processed","error_message":null,"warning_message":"failed"}]}"#,
        #"{"events":[{"status": "processed","error_message":null}]}"#,
        #"{"events":[{"status":"processed","details":{"code":1}}]}"#,
        #"{"status":"processed","events":[{"status":"processed"}]}"#,
        #"{"events":[{"error_message":null}]}"#,
        #"{"events":[{"status":"processed","status":"processed"}]}"#,
        #"{"events":[{"status":"processed"}]}x"#,
    ])
    func bodiesTheScanLeavesToTheParse(body: String) {
        #expect(!PinterestResponseScan.allProcessed(Array(body.utf8), eventCount: 1))
        #expect(PinterestResponseScan.allProcessed(Array(#"{"events":[{"status":"processed"}]}"#.utf8), eventCount: 1))
    }

    /// Seeded bodies mixing statuses (`processed`, `failed`, others), messages (null, plain, the
    /// words `status` and `failed`, escaped quotes that spell a whole status), spacing, a
    /// top-level `status`, truncation and wrong counts: whenever the scan says all processed, the
    /// full parse agrees.
    @Test func whenTheScanSaysAllProcessedTheFullParseAgrees() throws {
        let statuses = [#""processed""#, #""processed""#, #""processed""#, #""failed""#, #""pending""#, "null"]
        let messages = [
            "null", "null", #""em must be hashed""#, #""status""#, #""failed""#, #""x\"},{\"status\":\"processed""#,
            #""\"failed\"""#, #""a\\""#,
        ]
        var random = SplitMix64(seed: 24)
        func pick<T>(_ choices: [T]) -> T { choices[Int(random.next() % UInt64(choices.count))] }
        var toldWithoutParse = 0
        for round in 0..<3_000 {
            let count = Int(random.next() % 4) + 1
            let colon = random.next() % 8 == 0 ? ": " : ":"
            let events = (0..<count).map { _ in
                "{\"status\"\(colon)\(pick(statuses)),\"error_message\":\(pick(messages)),\"warning_message\":null}"
            }
            var body = "{\"num_events_received\":\(count),"
            if random.next() % 10 == 0 { body += #""status":"processed","# }
            body += "\"events\":[\(events.joined(separator: ","))]}"
            if random.next() % 20 == 0 { body.removeLast() }
            let claimed = count + [0, 0, 0, 0, 1, -1][Int(random.next() % 6)]
            let bytes = Array(body.utf8)
            guard PinterestResponseScan.allProcessed(bytes, eventCount: claimed) else { continue }
            toldWithoutParse += 1
            let parsed = try? JSONTape(parsing: bytes)
            let outcome = PinterestDestination.perEventOutcome(parsed?.root.object?["events"], eventCount: claimed)
            #expect(outcome == .delivered, "round \(round): \(body) for \(claimed) events")
            #expect(body.components(separatedBy: "\"status\"").count - 1 == claimed, "round \(round): \(body)")
        }
        #expect(toldWithoutParse > 50, "the scan vouched for \(toldWithoutParse) bodies")
    }

    /// Through `classify`: the scanned 200 is delivered, and one failed status in the same body
    /// still sets that event aside (the parse runs).
    @Test func classifyDeliversTheScannedBodyAndStillFindsAFailure() {
        let pinterest = destinations().first { $0.name == "pinterest" }!
        let body = PinterestSandbox.allProcessedResponse(3)
        #expect(pinterest.classify(HTTPResponse(status: 200, body: body), eventCount: 3) == .delivered)
        var failing = String(decoding: body, as: UTF8.self)
        let second = failing.range(of: #""processed""#, range: failing.index(failing.startIndex, offsetBy: 60)..<failing.endIndex)!
        failing.replaceSubrange(second, with: #""failed""#)
        let outcome = pinterest.classify(HTTPResponse(status: 200, body: Array(failing.utf8)), eventCount: 3)
        guard case .partial(let rejected) = outcome else {
            Issue.record("a partial outcome expected, got \(outcome)")
            return
        }
        #expect(rejected.count == 1)
    }
}
