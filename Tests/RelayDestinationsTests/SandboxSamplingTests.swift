import Foundation
import RelayCore
import RelayDestinations
import RelayHTTP
@testable import RelaySandbox
import Testing

/// The benchmark's sandbox setting `validateEvery`: one request in N per platform is validated
/// fully, the others are counted from their scanned event ids (exactly, test modes excepted).
@Suite struct SandboxSamplingTests {
    /// What each platform refuses in the second event of a batch, and whether it then records the
    /// first (per-event answers) or nothing.
    static let refusals: [(platform: String, path: String, replacement: JSONValue, recordsTheGoodOne: Bool)] = [
        ("meta", "user_data.em", .array([.string("someone@example.com")]), false),
        ("google", "currency", .string("eur"), false),
        ("tiktok", "user.email", .string("someone@example.com"), true),
        ("pinterest", "user_data.em", .array([.string("someone@example.com")]), true),
        ("snapchat", "action_source", .string("web"), false),
    ]

    func destination(_ platform: String, sandbox: SandboxServer, client: CurlHTTPClient, testMode: Bool = false) throws -> any ConversionDestination {
        let destination = destinations(endpoint: sandbox.baseURL).first { $0.name == platform }!
        switch destination {
        case let meta as MetaDestination:
            var configuration = meta.configuration
            if testMode { configuration.testEventCode = "TEST123" }
            return MetaDestination(configuration: configuration)
        case let google as GoogleDestination:
            var configuration = google.configuration
            configuration.credentials = .provider(
                try ServiceAccountTokenProvider(keyFileContents: try sandbox.googleServiceAccountKeyFile(), http: client))
            configuration.validateOnly = testMode
            return GoogleDestination(configuration: configuration)
        case let tiktok as TikTokDestination:
            var configuration = tiktok.configuration
            if testMode { configuration.testEventCode = "TEST123" }
            return TikTokDestination(configuration: configuration)
        case let pinterest as PinterestDestination:
            var configuration = pinterest.configuration
            configuration.testMode = testMode
            return PinterestDestination(configuration: configuration)
        case let snapchat as SnapchatDestination:
            var configuration = snapchat.configuration
            configuration.validateOnly = testMode
            return SnapchatDestination(configuration: configuration)
        default: fatalError("unknown platform \(platform)")
        }
    }

    /// Events `ids` of the "full" example encoded for `destination`; with `refusal`, the second
    /// one edited so the platform refuses it.
    func batch(_ ids: Range<Int>, for destination: any ConversionDestination, refusal: (path: String, replacement: JSONValue)? = nil) throws -> [[UInt8]] {
        let now = Int64(Date().timeIntervalSince1970)
        var batch = try ids.map { index in
            var event = try loadExample("full")
            event.orderID = "ORD-\(index)"
            event.occurredAt.epochSeconds = now - 60
            return try #require(payload(destination, event, now: now))
        }
        if let refusal {
            let path = refusal.path.split(separator: ".").map(String.init)[...]
            let edited = try #require(PlatformSandboxRoundTripTests.replacing(path, in: try JSONParser().parse(batch[1]), with: refusal.replacement))
            var writer = JSONWriter()
            writer.value(edited)
            batch[1] = writer.bytes
        }
        return batch
    }

    func send(_ batch: [[UInt8]], to destination: any ConversionDestination, client: CurlHTTPClient) async throws -> HTTPResponse {
        var request = destination.makeRequest(batch)
        try await destination.authorize(&request, forceRefresh: false)
        return try await client.execute(request)
    }

    /// With `validateEvery: 2`, the 1st and 3rd requests are validated: a refused event is refused
    /// there; the 2nd request's refused event is recorded (it was only scanned); every id of the
    /// accepted requests is recorded once, in order, and the answers say delivered.
    @Test(arguments: Self.refusals.map(\.platform))
    func theSampleIsValidatedAndTheOthersAreCountedFromTheirIDs(platform: String) async throws {
        let refusal = try #require(Self.refusals.first { $0.platform == platform })
        let sandbox = try await SandboxServer(fingerprintPayloads: false, validateEvery: 2)
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let destination = try destination(platform, sandbox: sandbox, client: client)

        let sampled = try await send(try batch(0..<2, for: destination, refusal: (refusal.path, refusal.replacement)), to: destination, client: client)
        #expect(destination.classify(sampled, eventCount: 2) != .delivered, "\(platform): HTTP \(sampled.status)")
        let scanned = try await send(try batch(2..<4, for: destination, refusal: (refusal.path, refusal.replacement)), to: destination, client: client)
        #expect(destination.classify(scanned, eventCount: 2) == .delivered, "\(platform): HTTP \(scanned.status)")
        let valid = try await send(try batch(4..<7, for: destination), to: destination, client: client)
        #expect(destination.classify(valid, eventCount: 3) == .delivered, "\(platform): HTTP \(valid.status)")

        let first = refusal.recordsTheGoodOne ? ["ORD-0"] : []
        #expect(sandbox.receipts(platform).map(\.eventID) == first + ["ORD-2", "ORD-3", "ORD-4", "ORD-5", "ORD-6"])
        #expect(sandbox.requestCount(platform) == 3)
        try await sandbox.shutdown()
    }

    /// A platform's test mode records nothing whether or not the request is sampled.
    @Test(arguments: Self.refusals.map(\.platform))
    func testModesRecordNothingOnAnyRequest(platform: String) async throws {
        let sandbox = try await SandboxServer(fingerprintPayloads: false, validateEvery: 1000)
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let destination = try destination(platform, sandbox: sandbox, client: client, testMode: true)
        for ids in [0..<2, 2..<4] {
            let response = try await send(try batch(ids, for: destination), to: destination, client: client)
            #expect(response.status == 200, "\(platform): \(String(decoding: response.body, as: UTF8.self))")
        }
        #expect(sandbox.receipts(platform).isEmpty, "\(platform)")
        #expect(sandbox.requestCount(platform) == 2)
        try await sandbox.shutdown()
    }
}
