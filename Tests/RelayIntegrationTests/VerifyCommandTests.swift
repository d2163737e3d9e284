import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelaySandbox
import RelayService
import Testing

/// `conversion-relay verify`: one synthetic purchase per destination through each platform's test
/// mode, against the sandbox, which answers those modes as the platforms document them and records
/// nothing as production data.
@Suite(.serialized, .timeLimit(.minutes(3))) struct VerifyCommandTests {
    static let platforms = ["meta", "google", "tiktok", "pinterest", "snapchat"]

    @Test func everyDestinationAcceptsTheTestEventAndNothingIsRecorded() async throws {
        let sandbox = try await SandboxServer()
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "127.0.0.1:1"))
        configuration.destinations = try .sandbox(sandbox, http: http)
        configuration.stores["shop-us"] = DestinationSettings(pinterest: configuration.destinations.pinterest)
        let verifier = DestinationVerifier(metaTestEventCode: "TEST1", tiktokTestEventCode: "TEST2")
        let results = await verifier.verify(configuration, http: http, nowSeconds: Int64(Date().timeIntervalSince1970))
        #expect(results.map(\.name) == Self.platforms + ["pinterest"])
        #expect(results.last?.store == "shop-us")
        for result in results { #expect(result.accepted, "\(result.line)") }
        for platform in Self.platforms {
            #expect(sandbox.requestCount(platform) == (platform == "pinterest" ? 2 : 1), "\(platform)")
            #expect(sandbox.receipts(platform).isEmpty, "\(platform): a test-mode request was recorded as production data")
        }
        try await sandbox.shutdown()
    }

    /// Without a test event code, Meta and TikTok are not sent to at all (never into the data set).
    @Test func metaAndTikTokWithoutATestEventCodeAreNotSentTo() async throws {
        let sandbox = try await SandboxServer()
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "127.0.0.1:1"))
        let all = try DestinationSettings.sandbox(sandbox, http: http)
        configuration.destinations = DestinationSettings(meta: all.meta, tiktok: all.tiktok)
        let results = await DestinationVerifier().verify(configuration, http: http, nowSeconds: Int64(Date().timeIntervalSince1970))
        #expect(results.count == 2)
        for result in results {
            #expect(!result.accepted)
            #expect(result.detail.contains("test-event-code"), "\(result.line)")
        }
        #expect(sandbox.requestCount("meta") == 0 && sandbox.requestCount("tiktok") == 0)
        try await sandbox.shutdown()
    }

    /// The executable: one line per destination, the platform's own words for the one that fails
    /// (a wrong Pinterest token), what to fix, and exit status 1; nothing recorded anywhere.
    @Test func theCommandPrintsOneLinePerDestinationAndFailsOnABadToken() async throws {
        let sandbox = try await SandboxServer()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let keyFile = directory.appendingPathComponent("google-key.json")
        try Data(try sandbox.googleServiceAccountKeyFile()).write(to: keyFile)
        let accounts = sandbox.accounts
        let config = directory.appendingPathComponent("relay.yaml")
        try """
            kafka:
              bootstrap_servers: "127.0.0.1:1"
            destinations:
              meta:
                pixel_id: "\(accounts.metaPixelID)"
                access_token: ${META_TOKEN}
                endpoint: \(sandbox.baseURL)
              google:
                operating_account_id: "\(accounts.googleOperatingAccountID)"
                conversion_action_id: "\(accounts.googleConversionActionID)"
                service_account_key_file: \(keyFile.path)
                endpoint: \(sandbox.baseURL)
              tiktok:
                pixel_code: \(accounts.tiktokPixelCode)
                access_token: ${TIKTOK_TOKEN}
                test_event_code: TEST2
                endpoint: \(sandbox.baseURL)
              pinterest:
                ad_account_id: "\(accounts.pinterestAdAccountID)"
                access_token: ${PINTEREST_TOKEN}
                endpoint: \(sandbox.baseURL)
              snapchat:
                pixel_id: \(accounts.snapchatPixelID)
                access_token: ${SNAP_TOKEN}
                endpoint: \(sandbox.baseURL)
            """.write(to: config, atomically: true, encoding: .utf8)
        /// Runs `verify` with the tokens in the environment, as an operator would.
        func run(pinterestToken: String) throws -> (status: Int32, lines: [String]) {
            let log = directory.appendingPathComponent("verify-\(UUID().uuidString).log")
            let process = try RelayExecutable.start(
                ["verify", "--config", config.path, "--meta-test-event-code", "TEST1"],
                environment: [
                    "META_TOKEN": accounts.metaAccessToken, "TIKTOK_TOKEN": accounts.tiktokAccessToken,
                    "PINTEREST_TOKEN": pinterestToken, "SNAP_TOKEN": accounts.snapchatAccessToken,
                ],
                log: log)
            process.waitUntilExit()
            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
            return (process.terminationStatus, lines)
        }

        let good = try run(pinterestToken: accounts.pinterestAccessToken)
        #expect(good.status == 0, "\(good.lines)")
        #expect(good.lines.count == 5, "\(good.lines)")
        for platform in Self.platforms {
            #expect(good.lines.contains { $0.hasPrefix("\(platform): accepted") }, "\(platform): \(good.lines)")
        }

        let bad = try run(pinterestToken: "revoked-token")
        #expect(bad.status == 1, "\(bad.lines)")
        let pinterest = try #require(bad.lines.first { $0.hasPrefix("pinterest:") })
        #expect(pinterest.contains("FAILED — auth"), "\(pinterest)")
        #expect(pinterest.contains("Authentication failed."), "the platform's own words: \(pinterest)")
        #expect(pinterest.contains("fix: check or rotate destinations.pinterest.access_token"), "\(pinterest)")
        #expect(!pinterest.contains("revoked-token"))
        for platform in Self.platforms where platform != "pinterest" {
            #expect(bad.lines.contains { $0.hasPrefix("\(platform): accepted") }, "\(platform): \(bad.lines)")
        }
        for platform in Self.platforms {
            #expect(sandbox.receipts(platform).isEmpty, "\(platform): verify recorded production data")
        }
        try await sandbox.shutdown()
    }
}
