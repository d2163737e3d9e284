import Foundation
import RelayCore
import RelayCrypto
import RelayDemo
import RelayDestinations
import RelayHTTP
import Testing

/// Pins every byte the five platforms would receive for 2,000 generated orders (accented names,
/// five countries' phones, every click id, orders without consent), through the relay's own
/// steps: decode the record, prepare it, encode it per platform, build requests of 100 events.
///
/// The speed work of issue 23 rewrites these steps (byte ranges, recycled buffers); a rewrite
/// must give the same requests. The golden files pin a few readable examples; this pins the
/// sample's breadth as one digest per platform. After an intended change to a platform's
/// output, print the new digests with `PRINT_CORPUS_DIGESTS=1` and say in the commit why
/// they moved.
@Suite struct SampleCorpusRequestTests {
    static let expected: [String: String] = [
        "meta": "114a60c8a0f7449a6a2d421149b0cc199a0921807740dac3c26d1c78b6bf7065",
        "google": "0385702280ba60c907eb4d4ec0dc5925d86c4867d4572df48e2ccd7b18a72593",
        "tiktok": "432995e171c38398bb7cafecf66d905646d036e4b54ae5c597688e50c42aa8a8",
        "pinterest": "70394131c20edaa8df3548b1babbd77a3eb0d4e73e0739c9fed0024d8858bb76",
        "snapchat": "e61e7bc050f6f36a29279fc00b3913ea382280fc046abdfa512a0b8d8eafe8cb",
    ]

    @Test func theSampleOrdersGiveThePinnedRequests() throws {
        let now: Int64 = 1_796_083_200  // 2026-12-01T00:00:00Z, fixed: event times are relative to it
        let generator = SampleOrderGenerator(seed: 7, malformedEvery: 0, nowSeconds: now)
        let decoder = OrderEventDecoder()
        let destinations = offlineDestinations()
        var transcripts = [String: [UInt8]]()
        var pending = [String: [[UInt8]]]()
        var sent = [String: Int]()
        func flush(_ destination: any ConversionDestination) {
            guard let events = pending[destination.name], !events.isEmpty else { return }
            let request = destination.makeRequest(events)
            transcripts[destination.name, default: []] += Array("\(request.method) \(request.url)\n".utf8) + request.body + [0x0A]
            pending[destination.name] = []
        }
        for index in 0..<2_000 {
            let event = try decoder.decode(generator.sample(index).bytes)
            let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now + 60)
            for destination in destinations {
                switch destination.encode(prepared) {
                case .send(let payload):
                    pending[destination.name, default: []].append(payload)
                    sent[destination.name, default: 0] += 1
                    if pending[destination.name]!.count == 100 { flush(destination) }
                case .exclude(let exclusion):
                    transcripts[destination.name, default: []] += Array("excluded \(index) \(exclusion.reason)\n".utf8)
                }
            }
        }
        for destination in destinations { flush(destination) }
        let digests = transcripts.mapValues { bytes in bytes.withUnsafeBytes { SHA256.digest($0).hex } }
        if ProcessInfo.processInfo.environment["PRINT_CORPUS_DIGESTS"] == "1" {
            for name in digests.keys.sorted() { print("corpus digest \(name): \(digests[name]!) (\(sent[name] ?? 0) sent)") }
        }
        // Most orders reach every platform: the corpus exercises the encoders, not only exclusions.
        for destination in destinations { #expect(sent[destination.name, default: 0] > 1_500, "\(destination.name)") }
        for (name, digest) in Self.expected {
            #expect(digests[name] == digest, "\(name)'s requests for the sample orders changed")
        }
    }
}
