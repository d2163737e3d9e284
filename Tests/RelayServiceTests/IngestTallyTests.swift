@testable import RelayService
import Testing

/// What the poll thread counts per lane between two publications of the metrics.
@Suite struct IngestTallyTests {
    @Test func countsEachLanesEventsMatchKeysAndExclusions() {
        var tally = IngestTally(lanes: 3)
        tally.countEncoded(lane: 0, coverage: [.email, .phone])
        tally.countEncoded(lane: 0, coverage: [.clickID])
        tally.countEncoded(lane: 2, coverage: [.email, .invalidPhone, .clickID])
        tally.countEncoded(lane: 2, coverage: [])
        tally.countExcluded(lane: 1, reason: "consent")
        tally.countExcluded(lane: 1, reason: "consent")
        tally.countExcluded(lane: 2, reason: "stale")
        #expect(tally.lanes[0] == IngestTally.Lane(encoded: 2, email: 1, phone: 1, invalidPhone: 0, clickID: 1))
        #expect(tally.lanes[1] == IngestTally.Lane(excluded: ["consent": 2]))
        #expect(tally.lanes[2] == IngestTally.Lane(encoded: 2, email: 1, phone: 0, invalidPhone: 1, clickID: 1, excluded: ["stale": 1]))
        tally.valid = 4
        tally.reset()
        #expect(tally.valid == 0)
        #expect(tally.lanes == Array(repeating: IngestTally.Lane(), count: 3))
    }
}
