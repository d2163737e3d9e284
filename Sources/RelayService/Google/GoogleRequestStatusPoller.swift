import Logging
import RelayDestinations
import RelayHTTP
import Synchronization

/// Looks sampled Google requests up with `requestStatus:retrieve` and counts what Google did with
/// their events after accepting them. A thin driver: ``GoogleRequestStatusPolicy`` decides which
/// requests, when, and within which budget; this class keeps the clock, the HTTP calls, the
/// metrics and the log.
///
/// Wired in from outside the engine: ``RelayConfiguration/withGoogleRequestStatusPolling(_:)``
/// gives each Google destination an observer, whose ``GoogleDestination/classify(_:eventCount:)``
/// reports accepted request ids; `conversion-relay run` starts ``run()`` beside the engines.
public final class GoogleRequestStatusPoller: Sendable {
    private struct State {
        var policy: GoogleRequestStatusPolicy
        /// Which destination (account, endpoint, credentials) accepted each sampled request.
        var destinations: [String: GoogleDestination] = [:]
    }

    private let state: Mutex<State>
    private let http: any HTTPExecutor
    private let telemetry: RelayTelemetry?
    private let logger: Logger
    private let now: @Sendable () -> Int64
    /// The longest the loop sleeps, so a request sampled while it sleeps is not missed.
    private let tick: Duration

    public init(
        settings: GoogleRequestStatusPolicy.Settings = .init(), http: any HTTPExecutor, telemetry: RelayTelemetry?, logger: Logger,
        tick: Duration = .seconds(1), now: (@Sendable () -> Int64)? = nil
    ) {
        state = Mutex(State(policy: GoogleRequestStatusPolicy(settings: settings)))
        self.http = http
        self.telemetry = telemetry
        self.logger = logger
        self.tick = tick
        self.now = now ?? { MonotonicClock.epochSeconds() }
    }

    /// The observer for one Google destination (its configuration, without an observer).
    public func observer(for configuration: GoogleDestinationConfiguration) -> any GoogleAcceptedRequestObserver {
        Observer(poller: self, destination: GoogleDestination(configuration: configuration))
    }

    private struct Observer: GoogleAcceptedRequestObserver {
        let poller: GoogleRequestStatusPoller
        let destination: GoogleDestination

        func accepted(requestID: String, events: Int) {
            let now = poller.now()
            poller.state.withLock { state in
                if state.policy.accepted(requestID: requestID, now: now) { state.destinations[requestID] = destination }
            }
        }
    }

    /// Sampled requests not yet resolved.
    public var pendingCount: Int { state.withLock { $0.policy.pendingCount } }

    /// Looks up what is due until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            await pollDue()
            let wait = state.withLock { state -> Duration in
                let now = self.now()
                guard let wakeup = state.policy.nextWakeup(now: now) else { return tick }
                return min(.seconds(max(wakeup - now, 0)), tick)
            }
            do { try await Task.sleep(for: wait) } catch { return }
        }
    }

    /// Looks up every request due now, one after another (the budget allows a few a minute).
    func pollDue() async {
        let due: [(String, GoogleDestination)] = state.withLock { state in
            state.policy.due(now: now()).compactMap { id in state.destinations[id].map { (id, $0) } }
        }
        for (requestID, destination) in due {
            let answer = await lookUp(requestID, on: destination)
            let report = state.withLock { state in
                let report = state.policy.record(requestID: requestID, answer: answer, now: now())
                if report.finished { state.destinations[requestID] = nil }
                return report
            }
            telemetry?.requestStatusLookedUp(destination: destination.name, outcome: report.outcome)
            for (errorClass, count) in report.eventErrors {
                telemetry?.eventsFailedAfterAcceptance(destination: destination.name, errorClass: errorClass, count: count)
            }
            if let reasons = report.logReasons {
                logger.warning(
                    "Google refused events after accepting the request",
                    metadata: ["destination": "\(destination.name)", "request_id": "\(requestID)", "outcome": "\(report.outcome)", "reasons": "\(reasons)"])
            }
        }
    }

    private func lookUp(_ requestID: String, on destination: GoogleDestination) async -> GoogleRequestStatusPolicy.Answer {
        var request = destination.requestStatusRequest(requestID: requestID)
        do {
            try await destination.authorize(&request, forceRefresh: false)
        } catch {
            return .lookupFailed(reason: "credentials")
        }
        let response: HTTPResponse
        do {
            response = try await http.execute(request)
        } catch {
            return .lookupFailed(reason: error.kind.rawValue)
        }
        guard (200..<300).contains(response.status), let status = GoogleRequestStatus.parse(response.body) else {
            return .lookupFailed(reason: "http_\(response.status)")
        }
        return .status(status)
    }
}

extension RelayConfiguration {
    /// This configuration with every Google destination (default and per store) reporting its
    /// accepted requests to `poller`. Apply after ``withCredentialProviders(http:)``, so the
    /// poller authorises its lookups with the same token providers.
    public func withGoogleRequestStatusPolling(_ poller: GoogleRequestStatusPoller) -> RelayConfiguration {
        var result = self
        result.destinations = destinations.withGoogleRequestStatusPolling(poller)
        result.stores = stores.mapValues { $0.withGoogleRequestStatusPolling(poller) }
        return result
    }

    /// Whether any Google destination (default or per store) has its requests looked up.
    public var wantsGoogleRequestStatusLookups: Bool {
        destinations.google?.requestStatusLookups == true || stores.values.contains { $0.google?.requestStatusLookups == true }
    }
}

extension DestinationSettings {
    func withGoogleRequestStatusPolling(_ poller: GoogleRequestStatusPoller) -> DestinationSettings {
        var result = self
        if let google, google.requestStatusLookups {
            var plain = google
            plain.acceptedRequestObserver = nil
            result.google?.acceptedRequestObserver = poller.observer(for: plain)
        }
        return result
    }
}
