import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelaySandbox
import RelayService
import Testing

/// `conversion-relay verify`, the executable, against the sandbox (the verifier's requests and
/// answers without a child process: RelayServiceTests.VerifierTests and VerifyDecisionTests).
@Suite(.serialized, .timeLimit(.minutes(3))) struct VerifyCommandTests {
    static let platforms = ["meta", "google", "tiktok", "pinterest", "snapchat"]

    /// The executable: one line per destination, the platform's own words for the one that fails
    /// (a wrong Pinterest token), what to fix, and exit status 1; nothing recorded anywhere.
    @Test func theCommandPrintsOneLinePerDestinationAndFailsOnABadToken() async throws {
        let sandbox = try await SandboxServer()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let accounts = sandbox.accounts
        let config = try writeSandboxDestinationsConfig(sandbox, in: directory, tiktokExtra: "test_event_code: TEST2")
        /// Runs `verify` with the tokens in the environment, as an operator would.
        func run(pinterestToken: String) throws -> (status: Int32, lines: [String]) {
            let finished = try RelayExecutable.run(
                ["verify", "--config", config.path, "--meta-test-event-code", "TEST1"],
                environment: [
                    "META_TOKEN": accounts.metaAccessToken, "TIKTOK_TOKEN": accounts.tiktokAccessToken,
                    "PINTEREST_TOKEN": pinterestToken, "SNAP_TOKEN": accounts.snapchatAccessToken,
                ])
            return (finished.status, finished.outputLines)
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
