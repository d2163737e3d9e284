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

    /// The read-ahead is kept as frontiers change, not summed when asked: after every step of a
    /// seeded mix of assignments (fresh and resumed), tracking (with and without settlements),
    /// settlements (in and out of order, repeated, of another generation) and revokes, it equals
    /// what a plain model of each partition gives (highest consumed + 1, minus the lowest
    /// offset still waiting, or nothing waiting).
    @Test func theReadAheadFollowsEveryChangeToAFrontier() {
        struct Model {
            var next: Int64?
            var waiting: [Int64: Int] = [:]
            var readAhead: Int64 {
                guard let next else { return 0 }
                return next - (waiting.keys.min() ?? next)
            }
        }
        var random = SeededRandom(seed: 23)
        var ledger = SettlementLedger()
        var models: [Int32: Model] = [:]
        var generations: [Int32: UInt64] = [:]
        for step in 0..<4_000 {
            let number = Int32(random.next() % 3)
            let choice = random.next() % 100
            if choice < 3 || models[number] == nil {
                let start: Int64? = random.next() % 2 == 0 ? Int64(random.next() % 50) : nil
                generations[number] = ledger.assign([partition(number)], startingAt: start.map { [partition(number): $0] } ?? [:])
                models[number] = Model(next: start)
            } else if choice < 5 {
                ledger.forget([partition(number)])
                models[number] = nil
            } else if choice < 50 {
                let offset = (models[number]!.next ?? 0) + Int64(random.next() % 3)
                let settlements = Int(random.next() % 4)
                ledger.track(position(number, offset), settlements: settlements)
                models[number]!.next = offset + 1
                if settlements > 0 { models[number]!.waiting[offset] = settlements }
            } else {
                let waiting = models[number]!.waiting.keys.sorted()
                guard !waiting.isEmpty else { continue }
                let offset = waiting[Int(random.next() % UInt64(waiting.count))]
                let stale = random.next() % 10 == 0
                ledger.settle(position(number, offset), generation: stale ? generations[number]! - 1 : generations[number]!)
                if !stale {
                    models[number]!.waiting[offset]! -= 1
                    if models[number]!.waiting[offset] == 0 { models[number]!.waiting[offset] = nil }
                }
            }
            let expected = models.values.reduce(Int64(0)) { $0 + $1.readAhead }
            #expect(ledger.readAhead == expected, "step \(step)")
            if ledger.readAhead != expected { break }
        }
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
