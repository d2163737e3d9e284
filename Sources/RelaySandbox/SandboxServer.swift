import Foundation
import RelayCore
import RelayCrypto
import RelayHTTPServer
import Synchronization

/// A local HTTP server that behaves like the ad platforms' conversion APIs, for tests, the demo
/// and benchmarks. Every accepted event is recorded in a per-platform ledger; failures and latency
/// can be injected per platform.
public final class SandboxServer: Sendable {
    private let server: LocalHTTPServer
    private let state: SandboxState
    /// `http://127.0.0.1:PORT`, the base URL to configure as each destination's `endpoint`.
    public let baseURL: String
    public let accounts: SandboxAccounts

    /// The Google service account's key pair: tests and the demo write ``googleServiceAccountKeyFile``
    /// for the relay; the sandbox's token endpoint verifies assertions with the public half.
    private let googleKey: RSAKey

    /// The service account's key, one per process: generating a 2048-bit RSA key takes
    /// ~0.3–0.5 s (debug build, shared machine), which every test starting a sandbox paid. Each
    /// sandbox still binds its tokens to its own audience (its `/token` URL).
    private static let googleKey = Result { () throws(CryptoError) -> RSAKey in try RSAKey.generate() }
    private let googleTokens = IssuedTokens()

    /// Starts the server on an ephemeral loopback port. With a `receiptObserver`, accepted events
    /// go to it (one call per request, on the server's threads) instead of the ledger, so a
    /// benchmark of millions of events does not keep them all. Without `fingerprintPayloads`,
    /// receipts carry no payload SHA-256 (re-serialising and hashing every event costs the
    /// benchmark harness a fifth of its CPU).
    ///
    /// `validateEvery` (the benchmark's setting; 1, every request, for tests and the demo): each
    /// platform parses and validates one request in `validateEvery` fully (its 1st, then its
    /// `validateEvery + 1`-th, …; a backlog's batches are full, so about that share of events)
    /// and answers the others after its route and credential checks, finding their event ids by
    /// scanning the body for the platform's event-id key (``EventIDScan``). Every event is still
    /// counted exactly; test modes and bodies the scan cannot read always take the full path.
    public init(
        accounts: SandboxAccounts = SandboxAccounts(), threads: Int = 1, fingerprintPayloads: Bool = true,
        validateEvery: Int = 1,
        receiptObserver: (@Sendable (_ platform: String, _ receipts: [LedgerReceipt]) -> Void)? = nil
    ) async throws {
        self.accounts = accounts
        let googleKey = try Self.googleKey.get()
        self.googleKey = googleKey
        let audience = Mutex("")
        let platforms: [any SandboxPlatform] = [
            MetaSandbox(pixelID: accounts.metaPixelID, accessToken: accounts.metaAccessToken),
            GoogleSandbox(accounts: accounts, tokens: googleTokens),
            GoogleOAuthSandbox(
                accounts: accounts, publicKey: try RSAKey(publicKeyPEM: try googleKey.publicKeyPEM()),
                tokenAudience: { audience.withLock { $0 } }, tokens: googleTokens),
            TikTokSandbox(accounts: accounts),
            PinterestSandbox(accounts: accounts),
            SnapchatSandbox(accounts: accounts),
        ]
        let state = SandboxState(
            platforms: platforms, fingerprintPayloads: fingerprintPayloads, validateEvery: max(1, validateEvery),
            receiptObserver: receiptObserver)
        self.state = state
        server = try await LocalHTTPServer(host: "127.0.0.1", port: 0, threads: threads) { request in
            let (response, delay) = state.respond(to: request)
            return ServerReply(response, delayMilliseconds: delay)
        }
        baseURL = "http://127.0.0.1:\(server.port)"
        audience.withLock { [baseURL] in $0 = baseURL + "/token" }
    }

    /// A Google service-account key file (JSON, as the Cloud console issues it) whose `token_uri`
    /// is this sandbox's token endpoint.
    public func googleServiceAccountKeyFile() throws -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("type"); writer.string("service_account")
        writer.key("project_id"); writer.string("sandbox-project")
        writer.key("private_key_id"); writer.string("sandbox-key-1")
        writer.key("private_key"); writer.string(try googleKey.privateKeyPEM())
        writer.key("client_email"); writer.string(accounts.googleClientEmail)
        writer.key("token_uri"); writer.string(baseURL + "/token")
        writer.endObject()
        return writer.bytes
    }

    /// Makes every Google access token issued so far invalid (the next call gets 401).
    public func expireGoogleTokens() {
        googleTokens.expireAll()
    }

    public func shutdown() async throws {
        try await server.shutdown()
    }

    /// Everything `platform` accepted, in arrival order.
    public func receipts(_ platform: String) -> [LedgerReceipt] {
        state.ledger.withLock { $0[platform] ?? [] }
    }

    /// Number of requests `platform` answered (any status).
    public func requestCount(_ platform: String) -> Int {
        state.requestCounts.withLock { $0[platform] ?? 0 }
    }

    /// Queues a fault for the next requests to `platform`.
    public func inject(_ fault: InjectedFault, into platform: String) {
        state.faults.withLock { $0[platform, default: []].append(fault) }
    }

    /// Drops the faults not yet served (an outage ends).
    public func clearFaults(_ platform: String) {
        state.faults.withLock { $0[platform] = nil }
    }

    /// Injected faults not yet served.
    public func pendingFaults(_ platform: String) -> Int {
        state.faults.withLock { ($0[platform] ?? []).reduce(0) { $0 + $1.count } }
    }

    /// Delays every response of `platform` by `milliseconds`.
    public func setLatency(_ milliseconds: Int, for platform: String) {
        state.latency.withLock { $0[platform] = milliseconds }
    }

    /// Forgets the ledger (between phases of a test).
    public func resetLedger() {
        state.ledger.withLock { $0.removeAll() }
    }
}

final class SandboxState: Sendable {
    let platforms: [any SandboxPlatform]
    let ledger = Mutex<[String: [LedgerReceipt]]>([:])
    let requestCounts = Mutex<[String: Int]>([:])
    let faults = Mutex<[String: [InjectedFault]]>([:])
    let latency = Mutex<[String: Int]>([:])
    let fingerprintPayloads: Bool
    /// One request in this many per platform is validated fully (1: all).
    let validateEvery: Int
    let receiptObserver: (@Sendable (String, [LedgerReceipt]) -> Void)?

    init(
        platforms: [any SandboxPlatform], fingerprintPayloads: Bool, validateEvery: Int = 1,
        receiptObserver: (@Sendable (String, [LedgerReceipt]) -> Void)?
    ) {
        self.platforms = platforms
        self.fingerprintPayloads = fingerprintPayloads
        self.validateEvery = validateEvery
        self.receiptObserver = receiptObserver
    }

    /// Routes and answers one request; returns the response and its delay.
    func respond(to request: SandboxRequest) -> (SandboxResponse?, Int) {
        guard let platform = platforms.first(where: { $0.matches(request) }) else {
            return (.json(404, "{\"error\":\"no sandbox route for this path\"}"), 0)
        }
        let number = requestCounts.withLock { counts in
            counts[platform.name, default: 0] += 1
            return counts[platform.name]!
        }
        let delay = latency.withLock { $0[platform.name] ?? 0 }
        let fault: InjectedFault.Kind? = faults.withLock { faults in
            guard var queue = faults[platform.name], !queue.isEmpty else { return nil }
            let kind = queue[0].kind
            queue[0].count -= 1
            if queue[0].count <= 0 { queue.removeFirst() }
            faults[platform.name] = queue
            return kind
        }
        if let fault {
            if fault == .dropConnection { return (nil, delay) }
            return (platform.faultResponse(fault), delay)
        }
        if (number - 1) % validateEvery != 0, let (response, eventIDs) = platform.acceptWithoutValidating(request) {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            record(platform.name, eventIDs.map { LedgerReceipt(eventID: $0, payloadSHA256: nil, eventTime: nil, receivedAtMilliseconds: now) })
            return (response, delay)
        }
        let now = Int64(Clock.epochSeconds())
        let (response, accepted) = platform.handle(request, nowSeconds: now)
        if !accepted.isEmpty {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let stamped = accepted.map { event in
                LedgerReceipt(
                    eventID: event.eventID, payloadSHA256: fingerprintPayloads ? event.payloadFingerprint : nil,
                    eventTime: event.eventTime, receivedAtMilliseconds: now)
            }
            record(platform.name, stamped)
        }
        return (response, delay)
    }

    private func record(_ platform: String, _ receipts: [LedgerReceipt]) {
        if let receiptObserver {
            receiptObserver(platform, receipts)
        } else {
            ledger.withLock { $0[platform, default: []].append(contentsOf: receipts) }
        }
    }
}

enum Clock {
    static func epochSeconds() -> Int { Int(Date().timeIntervalSince1970) }
}

