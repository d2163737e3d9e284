/// Decides which of Google's accepted requests to look up with `requestStatus:retrieve`, when, and
/// what each answer means for the metrics and the log. No I/O and no clock: the driver
/// (`GoogleRequestStatusPoller`) passes the time in and carries out what it returns.
///
/// Data Manager processes events after answering `events:ingest`; per-event problems (consent
/// denied, invalid gclid, event too old, …) only show in the request's status
/// (destinations.md §2 "Success"). Looking every request up would double the calls: status
/// lookups are `IngestionService.RetrieveRequestStatus`, so the relay assumes they count against
/// the ingestion quota (300 a minute, 100,000 a day per Cloud project; which quota they count
/// against is UNCONFIRMED), and it samples: one request in ``Settings/sampleEvery``, at most
/// ``Settings/pollsPerMinute`` and ``Settings/pollsPerDay`` lookups.
public struct GoogleRequestStatusPolicy: Sendable {
    public struct Settings: Sendable, Equatable {
        /// One accepted request in this many is looked up (the first one always); 0 looks none up.
        public var sampleEvery = 20
        /// The first lookup waits this long: Google processes the request first.
        public var firstPollAfterSeconds: Int64 = 60
        /// A request still `PROCESSING` (or a lookup that failed) is asked again after twice the
        /// previous wait, at most this many lookups in all; then it counts as `still_processing`.
        public var maximumPolls = 4
        /// Lookups per minute and per day: 5 and 1,000 are under 2 % and 1 % of the project's
        /// ingestion quota, which the relay's own ingestion pacing (requests_per_minute 300,
        /// requests_per_day 100,000 by default) does not leave room for.
        public var pollsPerMinute = 5
        public var pollsPerDay = 1_000
        /// Sampled requests waiting at most; a new sample is skipped when this many wait.
        public var maximumPending = 100

        public init() {}
    }

    /// What one lookup found.
    public enum Answer: Sendable, Equatable {
        case status(GoogleRequestStatus)
        /// The lookup failed (HTTP or network error); `reason` names the class, never a value.
        case lookupFailed(reason: String)
    }

    /// What to count and log after a lookup.
    public struct Report: Sendable, Equatable {
        /// The lookup's outcome class: `success`, `partial_success`, `failed`, `processing`,
        /// `unknown`, `lookup_failed`, or `still_processing` when the request was given up.
        public var outcome: String
        /// Failed events per error class (Google's reason, lower-cased: `event_too_old`).
        public var eventErrors: [(errorClass: String, count: Int)]
        /// The first few reasons with their counts, to log with the request id (never identifiers);
        /// `nil` when there is nothing to log.
        public var logReasons: String?
        /// Whether the request is done (no further lookups).
        public var finished: Bool

        public init(outcome: String, eventErrors: [(errorClass: String, count: Int)], logReasons: String?, finished: Bool) {
            self.outcome = outcome
            self.eventErrors = eventErrors
            self.logReasons = logReasons
            self.finished = finished
        }

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.outcome == rhs.outcome && lhs.logReasons == rhs.logReasons && lhs.finished == rhs.finished
                && lhs.eventErrors.map(\.errorClass) == rhs.eventErrors.map(\.errorClass)
                && lhs.eventErrors.map(\.count) == rhs.eventErrors.map(\.count)
        }
    }

    /// How many reasons a log line names.
    public static let reasonsLogged = 3

    private struct Pending: Sendable {
        var requestID: String
        var dueAt: Int64
        var wait: Int64
        var polls: Int
    }

    public let settings: Settings
    private var acceptedCount = 0
    private var pending: [Pending] = []
    private var minute: (index: Int64, used: Int) = (-1, 0)
    private var day: (index: Int64, used: Int) = (-1, 0)

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Requests sampled and waiting for a lookup.
    public var pendingCount: Int { pending.count }

    /// Google accepted `requestID`: returns whether it is sampled (then looked up from
    /// `now + firstPollAfterSeconds`).
    public mutating func accepted(requestID: String, now: Int64) -> Bool {
        defer { acceptedCount += 1 }
        guard settings.sampleEvery > 0, acceptedCount % settings.sampleEvery == 0, pending.count < settings.maximumPending else {
            return false
        }
        let wait = max(settings.firstPollAfterSeconds, 0)
        pending.append(Pending(requestID: requestID, dueAt: now + wait, wait: max(wait, 1), polls: 0))
        return true
    }

    /// The request ids to look up now, oldest due first, within the minute's and the day's budget
    /// (each one returned is charged).
    public mutating func due(now: Int64) -> [String] {
        roll(now)
        var result: [String] = []
        for index in pending.indices.sorted(by: { (pending[$0].dueAt, $0) < (pending[$1].dueAt, $1) }) where pending[index].dueAt <= now {
            guard minute.used < settings.pollsPerMinute, day.used < settings.pollsPerDay else { break }
            minute.used += 1
            day.used += 1
            result.append(pending[index].requestID)
            // Not due again until its answer is recorded (or, if none comes, after its wait).
            pending[index].dueAt = now + pending[index].wait
        }
        return result
    }

    /// When something may next be due: the earliest due time, or the next budget window when the
    /// budget is spent; `nil` when nothing waits.
    public func nextWakeup(now: Int64) -> Int64? {
        guard let earliest = pending.map(\.dueAt).min() else { return nil }
        var wakeup = max(earliest, now)
        let minuteIndex = now / 60
        let dayIndex = now / 86_400
        if day.index == dayIndex, day.used >= settings.pollsPerDay { wakeup = max(wakeup, (dayIndex + 1) * 86_400) }
        if minute.index == minuteIndex, minute.used >= settings.pollsPerMinute { wakeup = max(wakeup, (minuteIndex + 1) * 60) }
        return wakeup
    }

    /// Records a lookup's answer and says what to count and log.
    public mutating func record(requestID: String, answer: Answer, now: Int64) -> Report {
        guard let index = pending.firstIndex(where: { $0.requestID == requestID }) else {
            return Report(outcome: "unknown", eventErrors: [], logReasons: nil, finished: true)
        }
        pending[index].polls += 1
        let outcome: String
        switch answer {
        case .lookupFailed: outcome = "lookup_failed"
        case .status(let status):
            switch status.state {
            case .processing: outcome = "processing"
            case .unknown: outcome = "unknown"
            default:
                pending.remove(at: index)
                let errors = status.errors.filter { $0.count > 0 }
                let reasons = errors.prefix(Self.reasonsLogged).map { "\($0.reason) x\($0.count)" }.joined(separator: ", ")
                return Report(
                    outcome: status.state.rawValue.lowercased(), eventErrors: errors.map { (Self.errorClass($0.reason), $0.count) },
                    logReasons: errors.isEmpty ? nil : reasons, finished: true)
            }
        }
        // Still processing, status unknown, or the lookup failed: ask again later, or give up.
        if pending[index].polls >= settings.maximumPolls {
            pending.remove(at: index)
            return Report(outcome: "still_processing", eventErrors: [], logReasons: nil, finished: true)
        }
        pending[index].wait *= 2
        pending[index].dueAt = now + pending[index].wait
        return Report(outcome: outcome, eventErrors: [], logReasons: nil, finished: false)
    }

    /// A metric label from Google's reason: lower-case letters, digits and `_`, at most 64
    /// characters (Google's reasons are enum names; anything else becomes `other`).
    static func errorClass(_ reason: String) -> String {
        let lowered = reason.lowercased()
        guard !lowered.isEmpty, lowered.utf8.count <= 64,
            lowered.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "_") })
        else { return "other" }
        return lowered
    }

    private mutating func roll(_ now: Int64) {
        if minute.index != now / 60 { minute = (now / 60, 0) }
        if day.index != now / 86_400 { day = (now / 86_400, 0) }
    }
}
