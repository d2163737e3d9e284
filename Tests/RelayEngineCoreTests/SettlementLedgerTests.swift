import RelayCore
import RelayEngineCore
import Testing

@Suite struct SettlementLedgerTests {
    @Test func storesOnlyOffsetsBelowWhichEveryDestinationSettled() {
        var ledger = SettlementLedger()
        let generation = ledger.assign([partition(0)])
        ledger.track(position(0, 10), settlements: 2)  // two destinations
        ledger.track(position(0, 11), settlements: 1)
        ledger.settle(position(0, 11), generation: generation)
        ledger.settle(position(0, 10), generation: generation)
        #expect(ledger.takeOffsetsToStore().offsets == [partition(0): 10], "offset 10 still waits for its second destination")
        ledger.settle(position(0, 10), generation: generation)
        let stored = ledger.takeOffsetsToStore()
        #expect(stored.offsets == [partition(0): 12])
        #expect(ledger.takeOffsetsToStore().offsets.isEmpty, "stored once")
        #expect(ledger.isSettled())
    }

    @Test func countsHowFarTheFrontiersAdvancedForTheCommitPolicy() {
        var ledger = SettlementLedger()
        let generation = ledger.assign([partition(0)])
        for offset in Int64(0)..<5 { ledger.track(position(0, offset), settlements: 1) }
        ledger.settle(position(0, 0), generation: generation)
        _ = ledger.takeOffsetsToStore()
        for offset in Int64(1)..<5 { ledger.settle(position(0, offset), generation: generation) }
        let stored = ledger.takeOffsetsToStore()
        #expect(stored.offsets == [partition(0): 5])
        #expect(stored.advanced == 4)
    }

    @Test func ignoresSettlementsFromAnEarlierOwnershipOfThePartition() {
        var ledger = SettlementLedger()
        let first = ledger.assign([partition(0)])
        ledger.track(position(0, 0), settlements: 1)
        ledger.forget([partition(0)])
        let second = ledger.assign([partition(0)])
        #expect(second != first)
        ledger.track(position(0, 0), settlements: 1)
        ledger.settle(position(0, 0), generation: first)
        #expect(!ledger.isSettled(), "a late settlement of the previous generation must not settle the new one")
        ledger.settle(position(0, 0), generation: second)
        #expect(ledger.isSettled())
    }

    @Test func revokeStoresTheFrontierAndReportsHowFarEachPartitionIsSettled() {
        var ledger = SettlementLedger()
        let generation = ledger.assign([partition(0), partition(1)])
        ledger.track(position(0, 7), settlements: 1)
        ledger.settle(position(0, 7), generation: generation)
        ledger.track(position(1, 3), settlements: 1)  // unsettled
        let revoke = ledger.settleRevoked([partition(0), partition(1)])
        #expect(revoke.store == [partition(0): 8, partition(1): 3], "never past an unsettled offset")
        #expect(revoke.settled[partition(0)] == 8)
        #expect(revoke.settled[partition(1)] == 3, "settled up to its first unsettled offset")
    }

    /// The driver admits a polled chunk through one cursor: records of several partitions,
    /// interleaved, each tracked in its own frontier.
    @Test func aCursorTracksInterleavedPartitionsEachInItsOwnFrontier() {
        var ledger = SettlementLedger()
        let generation = ledger.assign([partition(0), partition(1)])
        var cursor = SettlementLedger.Cursor()
        for (number, offset) in [(0, 5), (0, 6), (1, 3), (0, 7), (1, 4)] as [(Int32, Int64)] {
            #expect(ledger.generation(of: partition(number), cursor: &cursor) == generation)
            ledger.track(position(number, offset), settlements: 1, cursor: &cursor)
        }
        #expect(ledger.generation(of: partition(2), cursor: &cursor) == nil, "not assigned here")
        ledger.track(position(2, 0), settlements: 1, cursor: &cursor)
        ledger.settle(position(1, 3), generation: generation, cursor: &cursor)
        ledger.settle(position(0, 5), generation: generation, cursor: &cursor)
        #expect(ledger.takeOffsetsToStore().offsets == [partition(0): 6, partition(1): 4])
        #expect(!ledger.isSettled([partition(0)]) && !ledger.isSettled([partition(1)]))
        #expect(ledger.isSettled([partition(2)]), "a partition not assigned here tracks nothing")
    }

    /// A partition whose offsets were taken is marked again by its next advance (the ledger
    /// remembers which partitions are marked, so marking one twice hashes it once).
    @Test func aPartitionIsStoredAgainAfterEachAdvance() {
        var ledger = SettlementLedger()
        let generation = ledger.assign([partition(0)])
        for offset in Int64(0)..<3 {
            ledger.track(position(0, offset), settlements: 1)
            ledger.settle(position(0, offset), generation: generation)
            #expect(ledger.takeOffsetsToStore().offsets == [partition(0): offset + 1], "advance \(offset)")
        }
        #expect(ledger.takeOffsetsToStore().offsets.isEmpty)
        ledger.forget([partition(0)])
        let next = ledger.assign([partition(0)], startingAt: [partition(0): 10])
        #expect(ledger.takeOffsetsToStore().offsets == [partition(0): 10], "a resumed partition is marked at once")
        ledger.track(position(0, 10), settlements: 1)
        ledger.settle(position(0, 10), generation: next)
        #expect(ledger.takeOffsetsToStore().offsets == [partition(0): 11])
    }
}

/// The flaky `committed == 500` of the group scenario: partitions resumed past a refused commit
/// and revoked or closed before any new record stored nothing, so an older offset stayed committed.
@Suite struct ResumedPartitionTests {
    @Test func aResumedPartitionStoresItsStartingOffsetAtOnce() {
        var ledger = SettlementLedger()
        ledger.assign([partition(0), partition(1)], startingAt: [partition(0): 100])
        #expect(ledger.takeOffsetsToStore().offsets == [partition(0): 100])
    }

    @Test func aResumedPartitionRevokedBeforeAnyRecordStillKnowsHowFarItIsSettled() {
        var ledger = SettlementLedger()
        ledger.assign([partition(0)], startingAt: [partition(0): 100])
        let revoke = ledger.settleRevoked([partition(0)])
        #expect(revoke.settled[partition(0)] == 100)
        var coordinator = RebalanceCoordinator()
        coordinator.revokeCommitRefused(settled: revoke.settled)
        #expect(coordinator.claimRemembered([partition(0)]) == [partition(0): 100], "remembered for the next comeback")
    }

    @Test func theDecidedStartingOffsetsReachTheAssignment() {
        var coordinator = RebalanceCoordinator()
        coordinator.resume(at: [partition(0): 100])
        #expect(coordinator.takeResumed([partition(0), partition(1)]) == [partition(0): 100])
        #expect(coordinator.takeResumed([partition(0)]).isEmpty, "taken once")
    }
}

@Suite struct RebalanceCoordinatorTests {
    @Test func partitionsBackAfterARefusedCommitResumePastWhatWasSettled() {
        var coordinator = RebalanceCoordinator()
        coordinator.revokeCommitRefused(settled: [partition(0): 100, partition(1): 80])
        let remembered = coordinator.claimRemembered([partition(0), partition(1), partition(2)])
        #expect(remembered == [partition(0): 100, partition(1): 80])
        // Partition 1: another member committed further meanwhile; partition 0: nothing committed.
        let starts = RebalanceCoordinator.startingOffsets(
            remembered: remembered, committed: [partition(0): nil, partition(1): 90])
        #expect(starts == [partition(0): 100])
        #expect(coordinator.claimRemembered([partition(0)]).isEmpty, "claimed once")
    }

    @Test func aCommittedRevokeLeavesNothingToResumePast() {
        var coordinator = RebalanceCoordinator()
        coordinator.revokeCommitRefused(settled: [partition(0): 50])
        coordinator.revokeCommitted([partition(0)])
        #expect(coordinator.claimRemembered([partition(0)]).isEmpty)
    }

    @Test func twoRefusalsKeepTheFurthestSettledOffset() {
        var coordinator = RebalanceCoordinator()
        coordinator.revokeCommitRefused(settled: [partition(0): 50])
        coordinator.revokeCommitRefused(settled: [partition(0): 40])
        #expect(coordinator.claimRemembered([partition(0)]) == [partition(0): 50])
    }

    /// Readiness: a member is ready once assigned, not after losing its session, and again once
    /// the group assigns it partitions.
    @Test func aLostSessionIsNotReadyUntilTheNextAssignment() {
        var ledger = SettlementLedger()
        #expect(!ledger.assignmentReceived)
        ledger.assign([partition(0)])
        #expect(ledger.assignmentReceived)
        ledger.assignmentLost()
        ledger.forget([partition(0)])
        #expect(!ledger.assignmentReceived)
        ledger.assign([partition(0)])
        #expect(ledger.assignmentReceived)
    }

}
