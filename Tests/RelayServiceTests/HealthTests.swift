import Foundation
@testable import RelayService
import Testing

/// Liveness (`/healthz`: the poll loop is going round) and readiness (`/readyz`: Kafka and an
/// assignment, not the platforms' health), as the chart's probes use them.
@Suite struct HealthDecisionTests {
    @Test func aLoopThatStoppedStampingIsStalledAfterTheThreshold() {
        let heartbeat = PollLoopHeartbeat(now: 1_000)
        #expect(heartbeat.liveness(now: 1_000 + 70_000, stallAfterMilliseconds: 70_000).isAlive)
        let stalled = heartbeat.liveness(now: 1_000 + 70_001, stallAfterMilliseconds: 70_000)
        #expect(!stalled.isAlive)
        #expect(stalled.millisecondsSinceStamp == 70_001)
        heartbeat.stamp(now: 71_000)
        #expect(heartbeat.liveness(now: 71_020, stallAfterMilliseconds: 70_000).isAlive)
    }

    @Test func theThresholdCoversARevokeDrainInsideOneIteration() {
        #expect(PollLoopLiveness.stallThreshold(revokeDrainTimeoutMilliseconds: 10_000) == 70_000)
        #expect(PollLoopLiveness.stallThreshold(revokeDrainTimeoutMilliseconds: 0) == 60_000)
    }

    @Test func readinessIsTheAssignmentNotThePlatforms() {
        let everyDestinationFailing = RelayHealth(
            assignmentReceived: true, assignedPartitions: 4, failingDestinations: ["meta/default", "google/default"],
            destinationCount: 2)
        #expect(everyDestinationFailing.isReady)
        let notJoined = RelayHealth(assignmentReceived: false, assignedPartitions: 0, failingDestinations: [], destinationCount: 2)
        #expect(!notJoined.isReady)
    }
}
