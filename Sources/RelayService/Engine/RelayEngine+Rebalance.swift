import Logging
import RelayCore
import RelayDestinations
import RelayEngineCore
import RelayKafka
import Synchronization

// Rebalances (poll thread, inside consumer.poll) and commit answers.
extension RelayEngine {
    func handleAssigned(_ partitions: [TopicPartition]) {
        // Records polled before the rebalance come first, as if ingested one by one.
        ingestPolledNow()
        state.withLock { state in
            state.ledger.assign(partitions, startingAt: state.rebalance.takeResumed(partitions))
            state.commits.assigned()
        }
        telemetry.rebalance("assigned")
        logger.info("partitions assigned", metadata: ["kafka.partitions": "\(partitions.sorted())"])
    }

    /// Where partitions about to be assigned start: past what this member settled before it
    /// lost them with the commit refused, unless the group committed further meanwhile
    /// (``RebalanceCoordinator``); everything else starts at the committed offset.
    func startingOffsets(_ partitions: [TopicPartition]) -> [TopicPartition: Int64] {
        let remembered = state.withLock { $0.rebalance.claimRemembered(partitions) }
        guard !remembered.isEmpty else { return [:] }
        let committed =
            (try? consumer.committed(Array(remembered.keys), timeoutMilliseconds: Self.revokeCommitTimeoutMilliseconds)) ?? [:]
        let starts = RebalanceCoordinator.startingOffsets(remembered: remembered, committed: committed)
        state.withLock { $0.rebalance.resume(at: starts) }
        if !starts.isEmpty {
            telemetry.resumedPastUncommitted(starts.count)
            logger.info(
                "partitions back after a refused commit: resuming past the events this member already settled",
                metadata: ["kafka.partitions": "\(starts.keys.sorted())"])
        }
        return starts
    }

    func handleRevoked(_ partitions: [TopicPartition], lost: Bool) {
        let revoked = Set(partitions)
        // Records polled before the rebalance: the kept partitions' are ingested, the revoked ones' dropped.
        ingestPolledNow(dropping: revoked)
        // librdkafka keeps a paused flag across revoke and re-assignment: clear ours first.
        let wasPaused = state.withLock { $0.pauses.revoke(revoked) }
        if !wasPaused.isEmpty { try? consumer.resume(Array(wasPaused)) }
        telemetry.rebalance(lost ? "lost" : "revoked")
        if lost {
            logger.warning(
                "partitions lost (session timeout): dropping their state without committing",
                metadata: ["kafka.partitions": "\(partitions.sorted())"])
        } else {
            flushBatches(.all)
            let timeout = configuration.kafka.revokeDrainTimeoutMilliseconds
            let drained = signal.wait(untilMonotonicMilliseconds: MonotonicClock.milliseconds() + Int64(timeout)) {
                state.withLock { $0.ledger.isSettled(revoked) }
            }
            let (offsets, settled) = state.withLock { $0.ledger.settleRevoked(revoked) }
            store(offsets)
            // Commit now, before librdkafka unassigns and rejoins: its own commit on unassign
            // races the rejoin, and a coordinator that already counts the group as rebalancing
            // refuses it, so the next owner would repeat delivered work. If this fails (eager
            // rebalances on librdkafka's mock refuse it too), the commit on unassign still runs,
            // and this member remembers what it settled in case the partitions come back to it.
            do {
                try consumer.commitStored(timeoutMilliseconds: Self.revokeCommitTimeoutMilliseconds)
                state.withLock { $0.rebalance.revokeCommitted(revoked) }
            } catch {
                telemetry.revokeCommitFailed()
                state.withLock { $0.rebalance.revokeCommitRefused(settled: settled) }
                logger.warning(
                    "offset commit on revoke failed; another owner may repeat delivered events (this member resumes past them if they come back)",
                    metadata: ["kafka.error": "\(error)"])
            }
            logger.info(
                drained ? "partitions revoked after draining" : "partitions revoked; drain timed out, unsettled events will be redelivered",
                metadata: ["kafka.partitions": "\(partitions.sorted())"])
        }
        state.withLock { state in
            if lost { state.ledger.assignmentLost() }
            state.ledger.forget(revoked)
            state.retryHold.forget(revoked)
        }
        for partition in revoked { telemetry.forget(partition) }
    }

    func handleCommitted(_ result: Result<[TopicPartition: Int64], KafkaError>) {
        switch result {
        case .success(let offsets):
            state.withLock { $0.commits.commitFinished(succeeded: true) }
            telemetry.offsetCommit(succeeded: true)
            for (partition, offset) in offsets { telemetry.committed(partition, offset: offset) }
        case .failure(let error):
            let rebalancing = [KafkaError.RDKafkaCode.rebalanceInProgress, KafkaError.RDKafkaCode.illegalGeneration]
                .contains(error.rdKafkaCode)
            state.withLock { state in
                if rebalancing { state.commits.rebalanceSuspected() } else { state.commits.commitFinished(succeeded: false) }
            }
            telemetry.offsetCommit(succeeded: false)
            logger.warning("offset commit failed; the next commit will cover it", metadata: ["kafka.error": "\(error)"])
        }
    }
}
