import Logging
import RelayCore
import RelayDestinations
import RelayEngineCore
import RelayKafka
import Synchronization

// The poll thread: takes records, admits them in polled order, and runs the housekeeping turn
// (batch deadlines, offset stores and commits, the retry hold, backpressure).
extension RelayEngine {
    func pollLoop() -> KafkaError? {
        var lastHousekeeping: Int64 = 0
        var lastGauges: Int64 = 0
        /// When the earliest open batch's linger runs out (as of the last flush).
        var nextBatchDeadline: Int64? = nil
        var fatal: KafkaError? = nil
        var tally = IngestTally(lanes: lanes.count)
        let laneLabels = lanes.map(\.label)
        // A chunk is admitted before backpressure is checked again: keep it small next to the
        // high watermark, so a pause still lands close to it.
        let chunkRecords = max(1, min(Self.maximumChunkRecords, configuration.delivery.highWatermarkEvents / 4))
        /// Keeps a record for ``ingestPolled(tally:)``; returns false after a fatal error.
        func accept(_ event: KafkaConsumerEvent) -> Bool {
            switch event {
            case .record(let record):
                polled.withLock { $0.append(record) }
            case .error(let error):
                if error.rdKafkaCode == KafkaError.RDKafkaCode.fatal {
                    logger.critical("fatal Kafka error, stopping", metadata: ["kafka.error": "\(error)"])
                    fatal = error
                    return false
                }
                logger.warning("Kafka consumer error", metadata: ["kafka.error": "\(error)"])
            }
            return true
        }
        /// Over the high watermark, briefly: take no records until settlements bring the relay
        /// under its resume mark (see ``BackpressureController``).
        var holding = false
        /// The read-ahead window is full (see ``ReadAheadWindow``): wait for settlements, not records.
        var windowFull = false
        var reportedFetchWakeUps = 0
        while !shutdownRequested.load(ordering: .acquiring) {
            heartbeat.stamp()
            // Wait for records at most 20 ms, and no longer than until a batch is due: it then
            // leaves at its linger time, not up to one poll wait later.
            let pollTimeout = Int32(nextBatchDeadline.map { max(0, min(20, $0 - MonotonicClock.milliseconds())) } ?? 20)
            var take = 0
            if !holding {
                let now = MonotonicClock.milliseconds()
                let (records, endedWait) = state.withLock { $0.take(chunk: chunkRecords, now: now) }
                take = records
                if let endedWait { telemetry.readAheadWindowFull(milliseconds: endedWait) }
            }
            windowFull = !holding && take == 0
            if holding || windowFull {
                // Until the hold can end or the window has room, woken by settlements, at most
                // 5 ms: the loop's housekeeping (batch deadlines, offsets) keeps running.
                _ = signal.wait(untilMonotonicMilliseconds: MonotonicClock.milliseconds() + 5) {
                    state.withLock { holding ? $0.mayEndBackpressure(now: MonotonicClock.milliseconds()) : $0.recordsToTake(chunk: 1) > 0 }
                }
            } else if let event = consumer.poll(timeoutMilliseconds: pollTimeout), accept(event) {
                // Take what librdkafka already holds, without waiting, up to one chunk (the chunk
                // is prepared on several threads at once) and the room in the read-ahead window.
                var taken = 1
                while taken < take, let next = consumer.poll(timeoutMilliseconds: 0), accept(next) { taken += 1 }
            }
            // At a high watermark, backpressure is applied on this turn rather than at the next
            // housekeeping, so the hold starts within a chunk of the watermark.
            let reachedWatermark = ingestPolled(tally: &tally)
            if fatal != nil { break }
            let now = MonotonicClock.milliseconds()
            if holding || windowFull || reachedWatermark || now - lastHousekeeping >= 5 || now >= nextBatchDeadline ?? .max {
                lastHousekeeping = now
                if tally.valid > 0 {
                    telemetry.publish(tally, lanes: laneLabels)
                    tally.reset()
                }
                nextBatchDeadline = flushBatches(holding ? .holding : .due)
                storeDirtyOffsets()
                releaseDueRecords()
                holding = applyBackpressure()
            }
            if now - lastGauges >= 1000 {
                lastGauges = now
                updateGauges()
                let fetchWakeUps = consumer.fetchWakeUps
                telemetry.fetchWakeUps(fetchWakeUps - reportedFetchWakeUps)
                reportedFetchWakeUps = fetchWakeUps
            }
        }
        telemetry.publish(tally, lanes: laneLabels)
        if fatal == nil {
            logger.info("shutting down: draining in-flight deliveries")
            flushBatches(.all)
            let deadline = MonotonicClock.milliseconds() + Int64(configuration.kafka.shutdownDrainTimeoutMilliseconds)
            let drained = signal.wait(untilMonotonicMilliseconds: deadline) { state.withLock { $0.ledger.isSettled() } }
            if !drained { logger.warning("shutdown drain timed out; unsettled events will be redelivered after restart") }
            storeDirtyOffsets(commit: false)
            commitBeforeLeaving(until: MonotonicClock.milliseconds() + Int64(configuration.kafka.shutdownDrainTimeoutMilliseconds))
            // Runs the final revoke (stores again) and commits the stored offsets, then leaves the group.
            consumer.close()
        } else {
            consumer.abandon()
        }
        for queue in queues { queue.continuation.finish() }
        return fatal
    }

    /// Commits what is stored before the consumer leaves the group. The commit on close alone
    /// was refused whenever the stop landed in a rebalance (REBALANCE_IN_PROGRESS; the next owner
    /// then repeated everything settled since the last commit). So a refused commit is tried
    /// again after serving the rebalance (`poll`: the revoke and assignment handlers run; a
    /// partition that comes back resumes past what was settled and stores that) until it is
    /// accepted or `deadline` passes. Records polled meanwhile are not tracked: the frontier stays
    /// before them and the next owner reads them.
    func commitBeforeLeaving(until deadline: Int64) {
        /// Serves the rebalance in progress (records are dropped) and stores what it settled.
        func serveRebalance() {
            _ = consumer.poll(timeoutMilliseconds: 100)
            polled.withLock { $0.removeAll() }
            storeDirtyOffsets(commit: false)
        }
        // Between a revoke and the next assignment this member owns nothing, and a commit then
        // commits nothing: wait for the assignment (what it settled is stored again).
        var sawRevoke = false
        while true {
            if sawRevoke, state.withLock({ $0.ledger.assignedCount == 0 }), MonotonicClock.milliseconds() < deadline {
                serveRebalance()
                continue
            }
            do {
                try consumer.commitStored(timeoutMilliseconds: Self.revokeCommitTimeoutMilliseconds)
                return
            } catch where error.rdKafkaCode == KafkaError.RDKafkaCode.rebalanceInProgress
                || error.rdKafkaCode == KafkaError.RDKafkaCode.illegalGeneration
            {
                guard MonotonicClock.milliseconds() < deadline else {
                    logger.warning("shutdown: the group kept rebalancing; the commit on close is the last attempt")
                    return
                }
                sawRevoke = true
                serveRebalance()
            } catch {
                logger.warning("shutdown: offset commit failed; the commit on close is the last attempt", metadata: ["kafka.error": "\(error)"])
                return
            }
        }
    }

    /// Ingests what the poll loop collected: prepares the records (in parallel, see
    /// ``RecordPreparer``), then admits them in the order they were polled.
    /// Returns whether the records took the relay to a high watermark (see ``admit(_:_:tally:)``).
    @discardableResult
    func ingestPolled(tally: inout IngestTally) -> Bool {
        let records = polled.withLock { polled in
            var taken: [KafkaRecord] = []
            swap(&taken, &polled)
            return taken
        }
        guard !records.isEmpty else { return false }
        return admit(records, preparer.prepare(records), tally: &tally)
    }

    /// Ingests what was polled before a rebalance, from a rebalance handler (the tally is
    /// published at once). Records of `revoked` partitions are dropped instead: they were never
    /// tracked, so the committed frontier stops before them and their next owner reads them
    /// again; ingesting them would only lengthen the revoke drain.
    func ingestPolledNow(dropping revoked: Set<TopicPartition> = []) {
        if !revoked.isEmpty {
            polled.withLock { $0.removeAll { revoked.contains($0.position.topicPartition) } }
        }
        var tally = IngestTally(lanes: lanes.count)
        ingestPolled(tally: &tally)
        telemetry.publish(tally, lanes: lanes.map(\.label))
    }

    /// Closes and sends open batches as `mode` says (see ``LaneBatcher/flush(_:now:)``); returns
    /// when the earliest batch left open that may close is due.
    @discardableResult
    func flushBatches(_ mode: FlushMode) -> Int64? {
        let now = MonotonicClock.milliseconds()
        let (ready, nextDeadline) = state.withLock { $0.batcher.flush(mode, now: now) }
        for (lane, entries, payloads) in ready { queues[lane].continuation.yield(DeliveryBatch(entries: entries, payloads: payloads)) }
        return nextDeadline
    }

    /// Stores the frontiers that moved, and commits them when the ``CommitPolicy`` says so (not
    /// at shutdown: the consumer's close commits). librdkafka's auto-commit commits what is
    /// stored every `delivery.commit_interval_ms` meanwhile.
    func storeDirtyOffsets(commit: Bool = true) {
        let now = MonotonicClock.milliseconds()
        let (offsets, commitNow) = state.withLock { state in
            let (offsets, advanced) = state.ledger.takeOffsetsToStore()
            return (offsets, state.commits.stored(advanced: advanced, now: now))
        }
        store(offsets)
        guard commit, commitNow else { return }
        do {
            try consumer.commitStoredAsync()
        } catch {
            state.withLock { $0.commits.commitFinished(succeeded: false) }
            logger.warning("offset commit failed; the next commit will cover it", metadata: ["kafka.error": "\(error)"])
        }
    }

    func store(_ offsets: [TopicPartition: Int64]) {
        guard !offsets.isEmpty else { return }
        do {
            try consumer.storeOffsets(offsets)
        } catch {
            if error.isPartitionNotAssigned {
                telemetry.staleOffsetStore()
            } else {
                logger.warning("storing offsets failed", metadata: ["kafka.error": "\(error)"])
            }
        }
    }

    /// Seeks each held retry-topic partition back to its head record once it is due, so the next
    /// poll returns it again (``applyBackpressure()`` then resumes the partition).
    func releaseDueRecords() {
        let now = MonotonicClock.epochMilliseconds()
        let due = state.withLock { $0.retryHold.isEmpty ? [] : $0.retryHold.releaseDue(now: now) }
        for (partition, offset) in due {
            do {
                try consumer.seek(partition, to: offset)
            } catch {
                logger.warning("seek to a due retry record failed; it will be re-read after a rebalance", metadata: ["kafka.error": "\(error)"])
            }
        }
    }

    /// Applies the watermarks (``BackpressureController``) and the retry hold, pausing and
    /// resuming partitions to match; returns whether consumption is held (the poll loop then takes
    /// no records, but the partitions are not paused). The poll loop keeps polling meanwhile, so
    /// the member stays in the group.
    @discardableResult
    func applyBackpressure() -> Bool {
        let now = MonotonicClock.milliseconds()
        let (decision, toPause, toResume, heldBytes, notDue) = state.withLock { state in
            let decision = state.backpressure.evaluate(busiestLane: state.batcher.busiestLane, bytes: state.inFlightBytes, now: now)
            let windowPauses = state.readAheadWindow.evaluate(readAhead: state.ledger.readAhead, now: now)
            let pauseAll = decision.pauseAll || windowPauses
            // The usual turn: nothing paused, nothing to pause (no sets built per turn).
            if !pauseAll, state.retryHold.isEmpty, state.pauses.paused.isEmpty {
                return (decision, [TopicPartition](), [TopicPartition](), state.inFlightBytes, Set<TopicPartition>())
            }
            let notDue = state.retryHold.heldPartitions
            let desired = (pauseAll ? Set(state.ledger.assigned) : []).union(notDue)
            let (pause, resume) = state.pauses.reconcile(desired: desired)
            return (decision, pause, resume, state.inFlightBytes, notDue)
        }
        if decision.holdStarted {
            telemetry.backpressurePaused()
            logger.info("backpressure: holding consumption", metadata: ["in_flight_bytes": "\(heldBytes)"])
            // Nothing more arrives while consumption is held, so partial batches cannot fill:
            // send them now instead of after their linger (drains the relay to the resume mark sooner).
            _ = flushBatches(.holding)
        }
        if !toPause.isEmpty {
            // Two causes, logged apart (operators and the harness count backpressure pauses): a
            // hold that lasted, and a retry-topic partition whose next record is not due yet.
            let waiting = toPause.filter(notDue.contains)
            let overBudget = toPause.filter { !notDue.contains($0) }
            if !overBudget.isEmpty {
                logger.info(
                    "backpressure: pausing partitions",
                    metadata: ["kafka.partitions": "\(overBudget.sorted())", "in_flight_bytes": "\(heldBytes)"])
            }
            if !waiting.isEmpty {
                logger.info("pausing partitions until their next retry is due", metadata: ["kafka.partitions": "\(waiting.sorted())"])
            }
            do { try consumer.pause(toPause) } catch { logger.warning("pause failed", metadata: ["kafka.error": "\(error)"]) }
        }
        if decision.releaseHeap {
            // The backlog drained: hand the freed heap back to the OS so resident memory follows
            // the watermarks instead of staying at the peak (glibc keeps freed pages otherwise).
            ProcessMemory.releaseFreedHeap()
        }
        if !toResume.isEmpty {
            logger.info("resuming partitions", metadata: ["kafka.partitions": "\(toResume.sorted())"])
            do { try consumer.resume(toResume) } catch { logger.warning("resume failed", metadata: ["kafka.error": "\(error)"]) }
        }
        return decision.holding
    }

    func updateGauges() {
        let (partitions, stored, paused, inFlight, inFlightBytes, readAhead) = state.withLock { state in
            (
                state.ledger.assigned, state.ledger.storedOffsets, state.pauses.paused.count, state.batcher.inFlight, state.inFlightBytes,
                state.ledger.readAhead
            )
        }
        let lag = consumer.lag(partitions)
        for partition in partitions {
            telemetry.partition(partition, lag: lag[partition], stored: stored[partition])
        }
        telemetry.assignment(role: role.metricLabel, assigned: partitions.count, paused: paused)
        for (index, lane) in lanes.enumerated() { telemetry.inFlight(lane.label, events: inFlight[index]) }
        telemetry.memory(inFlightBytes: inFlightBytes, residentBytes: ProcessMemory.usage()?.residentBytes)
        telemetry.readAhead(events: readAhead)
    }
}
