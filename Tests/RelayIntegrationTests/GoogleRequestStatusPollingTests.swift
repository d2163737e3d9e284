import Foundation
import Logging
import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import RelaySandbox
@testable import RelayService
import Synchronization
import Testing

/// Issue 21 item 9 end to end against the sandbox's `requestStatus:retrieve`: Google accepts a
/// request, processes it later, and the relay's sampled lookups count what it refused.
@Suite struct GoogleRequestStatusPollingTests {
    /// Every accepted request is looked up, the first time at once, so a test need not wait.
    static var lookUpEveryRequestAtOnce: GoogleRequestStatusPolicy.Settings {
        var settings = GoogleRequestStatusPolicy.Settings()
        settings.sampleEvery = 1
        settings.firstPollAfterSeconds = 0
        return settings
    }

    /// The sandbox's Google destination, its accepted requests handed to `poller`.
    static func google(
        _ sandbox: SandboxServer, http: CurlHTTPClient, observedBy poller: GoogleRequestStatusPoller
    ) throws -> any ConversionDestination {
        var configuration = RelayConfiguration(kafka: KafkaSettings(bootstrapServers: "localhost:9092"))
        configuration.destinations = try DestinationSettings.sandbox(sandbox, http: http)
        configuration = configuration.withGoogleRequestStatusPolling(poller)
        return try #require(configuration.destinations.makeDestinations().first { $0.name == "google" })
    }

    @Test func refusedEventsAreCountedByReasonAndLoggedWithTheRequestIDOnly() async throws {
        let sandbox = try await SandboxServer()
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        let telemetry = RelayTelemetry()
        let logs = CapturedLogs()
        let clock = Mutex<Int64>(1_000)
        let poller = GoogleRequestStatusPoller(
            settings: Self.lookUpEveryRequestAtOnce, http: http, telemetry: telemetry, logger: logs.logger, now: { clock.withLock { $0 } })
        let google = try Self.google(sandbox, http: http, observedBy: poller)

        // Three orders: one fine, one whose customer denied ad user data, one with a gclid that is no click id.
        let example = try fullExampleOrder()
        let now = Int64(Date().timeIntervalSince1970)
        var payloads: [[UInt8]] = []
        for index in 0..<3 {
            var event = try OrderEventDecoder().decode(Array(example.utf8))
            event.orderID = "ORD-\(index)"
            event.occurredAt.epochSeconds = now - 60
            if index == 1 { event.consent.adUserData = false }
            if index == 2 { event.context.gclid = RawPII("not a gclid!") }
            let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now)
            guard case .send(let bytes) = google.encode(prepared) else {
                Issue.record("Google takes order \(index)")
                return
            }
            payloads.append(bytes)
        }
        var request = google.makeRequest(payloads)
        try await google.authorize(&request, forceRefresh: false)
        let response = try await http.execute(request)
        #expect(google.classify(response, eventCount: 3) == .delivered)
        #expect(poller.pendingCount == 1)

        await poller.pollDue()  // Google is still processing
        #expect(poller.pendingCount == 1)
        clock.withLock { $0 += 1 }
        await poller.pollDue()  // not due yet: the next lookup waits twice as long
        clock.withLock { $0 += 1 }
        await poller.pollDue()
        #expect(poller.pendingCount == 0)

        let values = parsePrometheus(telemetry.prometheusText())
        let lookups = "conversion_relay_destination_request_status_lookups_total"
        #expect(metric(values, lookups, ["destination": "google", "error_class": "processing"]) == 1)
        #expect(metric(values, lookups, ["destination": "google", "error_class": "partial_success"]) == 1)
        let failed = "conversion_relay_destination_events_failed_after_acceptance_total"
        #expect(metric(values, failed, ["destination": "google", "error_class": "denied_consent"]) == 1)
        #expect(metric(values, failed, ["destination": "google", "error_class": "invalid_gclid"]) == 1)
        #expect(metric(values, failed) == 2)

        let lines = logs.lines.withLock { $0 }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.contains("request_id=sandbox-1") && line.contains("DENIED_CONSENT x1") && line.contains("INVALID_GCLID x1"))
        for secret in ["ORD-", "not a gclid", "203.0.113.7", "Mozilla"] { #expect(!line.contains(secret), "\(secret) logged") }
        try await sandbox.shutdown()
    }

    /// The driver's own loop, on the real clock: it looks the request up when due, asks again
    /// while Google is processing, and stops when its task is cancelled.
    @Test func theLoopLooksUpWhatIsDueAndStopsWhenCancelled() async throws {
        let sandbox = try await SandboxServer()
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        let telemetry = RelayTelemetry()
        let poller = GoogleRequestStatusPoller(
            settings: Self.lookUpEveryRequestAtOnce, http: http, telemetry: telemetry, logger: Logger(label: "test"), tick: .milliseconds(20))
        let google = try Self.google(sandbox, http: http, observedBy: poller)
        let example = try fullExampleOrder()
        var event = try OrderEventDecoder().decode(Array(example.utf8))
        let now = Int64(Date().timeIntervalSince1970)
        event.occurredAt.epochSeconds = now - 60
        guard case .send(let bytes) = google.encode(PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now)) else {
            Issue.record("Google takes the order")
            return
        }
        let loop = Task { await poller.run() }
        var request = google.makeRequest([bytes])
        try await google.authorize(&request, forceRefresh: false)
        #expect(google.classify(try await http.execute(request), eventCount: 1) == .delivered)
        let resolved = await eventually(seconds: 20) { poller.pendingCount == 0 }
        loop.cancel()
        await loop.value
        #expect(resolved)
        let values = parsePrometheus(telemetry.prometheusText())
        #expect(metric(values, "conversion_relay_destination_request_status_lookups_total", ["error_class": "processing"]) == 1)
        #expect(metric(values, "conversion_relay_destination_request_status_lookups_total", ["error_class": "success"]) == 1)
        try await sandbox.shutdown()
    }

    /// `destinations.google.request_status_lookups: false` leaves that destination without an observer.
    @Test func lookupsCanBeSwitchedOffPerDestination() throws {
        func loaded(_ extra: String) throws -> RelayConfiguration {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lookups-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let token = directory.appendingPathComponent("token")
            try "t".write(to: token, atomically: true, encoding: .utf8)
            return try ConfigurationLoader().load(yaml: """
                kafka:
                  bootstrap_servers: x:9092
                destinations:
                  google:
                    operating_account_id: "1234567890"
                    conversion_action_id: "1"
                    access_token_file: \(token.path)
                \(extra)
                """)
        }
        let poller = GoogleRequestStatusPoller(http: CurlHTTPClient(), telemetry: nil, logger: Logger(label: "test"))
        let on = try loaded("")
        #expect(on.wantsGoogleRequestStatusLookups)
        #expect(on.withGoogleRequestStatusPolling(poller).destinations.google?.acceptedRequestObserver != nil)
        let off = try loaded("    request_status_lookups: false")
        #expect(!off.wantsGoogleRequestStatusLookups)
        #expect(off.withGoogleRequestStatusPolling(poller).destinations.google?.acceptedRequestObserver == nil)
    }

    /// Validate-only requests are never looked up (Google keeps no status for them).
    @Test func validateOnlyRequestsAreNotSampled() async throws {
        let poller = GoogleRequestStatusPoller(http: CurlHTTPClient(), telemetry: nil, logger: Logger(label: "test"))
        var configuration = GoogleDestinationConfiguration(operatingAccountID: "1", conversionActionID: "2", tokenProvider: FixedToken())
        configuration.validateOnly = true
        configuration.acceptedRequestObserver = poller.observer(for: configuration)
        let google = GoogleDestination(configuration: configuration)
        #expect(google.classify(HTTPResponse(status: 200, body: Array(#"{"requestId":"r1"}"#.utf8)), eventCount: 1) == .delivered)
        #expect(poller.pendingCount == 0)
        configuration.validateOnly = false
        #expect(GoogleDestination(configuration: configuration).classify(
            HTTPResponse(status: 200, body: Array(#"{"requestId":"r2"}"#.utf8)), eventCount: 1) == .delivered)
        #expect(poller.pendingCount == 1)
    }
}

/// A token provider that never calls anything.
private struct FixedToken: AccessTokenProvider {
    func accessToken(forceRefresh: Bool) async throws(CredentialError) -> Secret { Secret("fixed-test-token") }
}
