import Dispatch
import RelayCore
import RelayDestinations
import RelayInput
import RelayKafka
import RelayPII

/// What decoding, normalising and encoding one record produced, before the engine admits it
/// (tracks its offset, batches its payloads, routes it to the retry or dead-letter topic).
struct PreparedRecord: Sendable {
    /// Which match keys one destination's payload carries (for the coverage metrics).
    struct Coverage: OptionSet, Sendable {
        let rawValue: UInt8
        static let email = Coverage(rawValue: 1)
        static let phone = Coverage(rawValue: 2)
        static let clickID = Coverage(rawValue: 4)
        /// A phone was given but is not a phone number worth sending, so it was left out.
        static let invalidPhone = Coverage(rawValue: 8)
    }

    /// One destination's encoded event: a slice of the block its lane's events of this chunk
    /// were encoded into (no array per event and destination).
    struct Send: Sendable {
        var lane: Int
        var payload: PayloadSlice
        var coverage: Coverage

        /// The send's fields, moved out of it.
        consuming func parts() -> (lane: Int, payload: PayloadSlice, coverage: Coverage) {
            (lane, payload, coverage)
        }
    }

    /// A record's sends, held in the record itself: at most one per platform of its route
    /// (``RecordPreparer`` checks that no route has more lanes), so no array is allocated per record
    /// on a preparing thread, freed on the poll thread, and read there through a pointer to memory
    /// the other core just wrote. In the order appended.
    struct Sends: RandomAccessCollection, Sendable {
        /// The most sends a record can have: one per platform.
        static let capacity = 5
        private var storage = InlineArray<5, Send?>(repeating: nil)
        private(set) var count = 0

        init() {}

        var startIndex: Int { 0 }
        var endIndex: Int { count }

        subscript(position: Int) -> Send {
            precondition(position >= 0 && position < count, "a send index within the record's sends")
            return storage[position].unsafelyUnwrapped
        }

        mutating func append(_ send: Send) {
            precondition(count < Self.capacity, "at most one send per platform")
            storage[count] = send
            count += 1
        }

        /// Removes and returns the last send (moved out, not copied), or `nil` when none is left.
        mutating func popLast() -> Send? {
            guard count > 0 else { return nil }
            count -= 1
            return storage[count].take()
        }
    }

    enum Outcome: Sendable {
        /// Not a valid event: retry topic (or, from the retry topic, the dead-letter topic).
        case malformed(OrderEventDecodingError)
        /// A `store_id` with no destinations under the `dead_letter` policy.
        case unknownStore(orderID: String, eventID: String, storeID: String?)
        /// Encoded for each target lane, or excluded from it. `sourceBytes` is the record's key and
        /// value size (what its in-flight entries are charged), read here where the record is read
        /// anyway rather than again by the poll thread.
        case encoded(orderID: String, eventID: String, sends: Sends, exclusions: [(lane: Int, exclusion: Exclusion)], sourceBytes: Int)
    }

    var outcome: Outcome
    /// The retry envelope the record carried (retry role only), held out of line (see
    /// ``RetryEnvelopeBox``).
    let previousBox: RetryEnvelopeBox?

    init(previous: RetryEnvelope?, outcome: Outcome) {
        self.previousBox = previous.map(RetryEnvelopeBox.init)
        self.outcome = outcome
    }
}

/// A retry envelope held out of line by the records that carry one: it is rare (retry role
/// only) and large (137 bytes), and every prepared and admitted record would otherwise carry
/// room for it, copied with the record.
final class RetryEnvelopeBox: Sendable {
    let envelope: RetryEnvelope
    init(_ envelope: RetryEnvelope) { self.envelope = envelope }
}

/// Turns records into ``PreparedRecord``s: the per-order CPU work (JSON decoding, identifier
/// normalisation and hashing, one encoding per destination). It is pure — no shared mutable
/// state — so a chunk of records is prepared on several threads at once while the poll thread
/// keeps the order-sensitive bookkeeping (``RelayEngine``).
struct RecordPreparer: Sendable {
    let role: RelayEngine.Role
    let lanes: [RelayEngine.Lane]
    /// The lanes of the default destinations, and of each store's: each a run of `lanes`, so a
    /// route is a range (no array retained per event).
    let defaultLanes: Range<Int>
    let storeLanes: [String: Range<Int>]
    let unknownStorePolicy: UnknownStorePolicy
    let eventIDTemplate: EventIDTemplate
    /// Threads that prepare one chunk (1: the poll thread alone).
    let threads: Int
    private let decoder = OrderEventDecoder()
    /// The configured `input` mapping (Segment, Shopify, jq) in front of the same decoder; `nil`
    /// for native records, which keep the direct path.
    let inputDecoder: MappedEventDecoder?
    /// Each lane's destination, called without reference counting: every preparing thread
    /// encodes with the same destinations, and copying one out of `lanes` per event retained and
    /// released its shared storage from several cores at once. `encoderObjects` keeps them alive.
    private let encoders: [Unmanaged<LaneEncoder>]
    private let encoderObjects: [LaneEncoder]

    /// One lane per (store, destination) of `configuration`: the default destinations first, then
    /// each store's, stores in name order.
    init(configuration: RelayConfiguration, role: RelayEngine.Role) {
        var lanes: [RelayEngine.Lane] = []
        func addLanes(_ settings: DestinationSettings, store: String) -> Range<Int> {
            let first = lanes.count
            for destination in settings.makeDestinations() {
                lanes.append(
                    RelayEngine.Lane(
                        destination: destination, label: DestinationLabel(platform: destination.name, store: store),
                        platform: Platform(rawValue: destination.name)))
            }
            // One destination per platform, so a record's sends fit in it (``PreparedRecord/Sends``).
            precondition(lanes.count - first <= PreparedRecord.Sends.capacity, "a route has one lane per platform at most")
            return first..<lanes.count
        }
        self.defaultLanes = addLanes(configuration.destinations, store: "default")
        var storeLanes: [String: Range<Int>] = [:]
        for (store, settings) in configuration.stores.sorted(by: { $0.key < $1.key }) {
            storeLanes[store] = addLanes(settings, store: store)
        }
        self.storeLanes = storeLanes
        self.lanes = lanes
        self.encoderObjects = lanes.map { LaneEncoder($0.destination) }
        self.encoders = encoderObjects.map { Unmanaged.passUnretained($0) }
        self.role = role
        self.unknownStorePolicy = configuration.unknownStorePolicy
        self.eventIDTemplate = configuration.eventIDTemplate
        self.threads = configuration.delivery.effectivePreparationThreads
        self.inputDecoder = configuration.input.decoder
    }

    /// Records below this count per thread are not worth handing to another thread.
    static let minimumRecordsPerThread = 16

    /// Prepares `records`, in parallel when there are enough of them; results are in record order.
    func prepare(_ records: [KafkaRecord]) -> [PreparedRecord] {
        let count = records.count
        let workers = min(threads, count / Self.minimumRecordsPerThread)
        // The wall clock read once per chunk (the events' age checks need seconds), not per record.
        let nowSeconds = MonotonicClock.epochSeconds()
        return [PreparedRecord](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard workers > 1 else {
                let blocks = LanePayloadBlocks(lanes: lanes.count, records: count)
                records.withUnsafeBufferPointer { records in
                    for index in records.indices {
                        prepare(records.baseAddress! + index, into: blocks, nowSeconds: nowSeconds, initializing: buffer.baseAddress! + index)
                    }
                }
                blocks.finish()
                initialized = count
                return
            }
            // Each worker initialises its own contiguous slice of the buffer, which outlives
            // concurrentPerform: no sharing, no locks. Records are read where they lie (an array
            // subscript copies one, retaining its key, value and headers).
            records.withUnsafeBufferPointer { records in
                nonisolated(unsafe) let base = buffer.baseAddress!
                nonisolated(unsafe) let recordBase = records.baseAddress!
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let slice = (count * worker / workers)..<(count * (worker + 1) / workers)
                    let blocks = LanePayloadBlocks(lanes: lanes.count, records: slice.count)
                    for index in slice {
                        prepare(recordBase + index, into: blocks, nowSeconds: nowSeconds, initializing: base + index)
                    }
                    blocks.finish()
                }
            }
            initialized = count
        }
    }

    /// Prepares one record, its payloads in blocks of their own.
    func prepare(_ record: KafkaRecord) -> PreparedRecord {
        withUnsafePointer(to: record) { record in
            withUnsafeTemporaryAllocation(of: PreparedRecord.self, capacity: 1) { slot in
                prepare(
                    record, into: LanePayloadBlocks(lanes: lanes.count, records: 1), nowSeconds: MonotonicClock.epochSeconds(),
                    initializing: slot.baseAddress!)
                return slot.baseAddress!.move()
            }
        }
    }

    /// Prepares one record, appending each lane's payload to that lane's block in `blocks`;
    /// `nowSeconds` is the wall clock the event's age is checked against. The record is read
    /// through a pointer (it stays where the caller holds it), not copied. The result initialises
    /// `slot` (uninitialised memory) where it is built, instead of being returned and then copied
    /// there: a prepared record is 264 bytes.
    func prepare(
        _ record: UnsafePointer<KafkaRecord>, into blocks: LanePayloadBlocks, nowSeconds: Int64,
        initializing slot: UnsafeMutablePointer<PreparedRecord>
    ) {
        var previous: RetryEnvelope? = nil
        if role == .retry {
            previous =
                RetryEnvelope(headers: record.pointee.headers)
                ?? RetryEnvelope(
                    origin: record.pointee.position, errorClass: "unknown", reason: "record had no retry headers", attempt: 1,
                    firstSeenMilliseconds: MonotonicClock.epochMilliseconds())
        }
        let event: OrderEvent
        do {
            if let inputDecoder {
                event = try inputDecoder.decode(record.pointee.value)
            } else {
                event = try decoder.decode(record.pointee.value)
            }
        } catch {
            slot.initialize(to: PreparedRecord(previous: previous, outcome: .malformed(error)))
            return
        }
        let eventID = eventIDTemplate.eventID(for: event)
        guard let routed = route(event.storeID) else {
            slot.initialize(
                to: PreparedRecord(
                    previous: previous, outcome: .unknownStore(orderID: event.orderID, eventID: eventID, storeID: event.storeID)))
            return
        }
        let orderID = event.orderID
        let prepared = PreparedEvent(event: consume event, eventID: eventID, nowSeconds: nowSeconds)
        var sends = PreparedRecord.Sends()
        var exclusions: [(lane: Int, exclusion: Exclusion)] = []
        // A retried record goes only to the destination that still needs it.
        let retriedFor = previous?.destination
        for index in routed where retriedFor == nil || lanes[index].label.platform == retriedFor {
            let block = blocks.block(lane: index)
            let start = block.count
            if let exclusion = encoders[index]._withUnsafeGuaranteedRef({ encoder in
                block.write { encoder.destination.encode(prepared, into: &$0) }
            }) {
                exclusions.append((index, exclusion))
            } else {
                let payload = PayloadSlice(block, offset: start, count: block.count - start)
                sends.append(.init(lane: index, payload: payload, coverage: coverage(prepared, platform: lanes[index].platform)))
            }
        }
        slot.initialize(
            to: PreparedRecord(
                previous: previous,
                outcome: .encoded(
                    orderID: orderID, eventID: eventID, sends: sends, exclusions: exclusions,
                    sourceBytes: record.pointee.value.count + (record.pointee.key?.count ?? 0))))
    }

    /// The lanes an event goes to: its store's, the default ones, or `nil` for the dead-letter topic.
    func route(_ storeID: String?) -> Range<Int>? {
        guard let storeID else { return defaultLanes }
        if let lanes = storeLanes[storeID] { return lanes }
        return unknownStorePolicy == .useDefaultDestinations ? defaultLanes : nil
    }

    /// Which match keys the event carried for this destination.
    private func coverage(_ prepared: PreparedEvent, platform: Platform?) -> PreparedRecord.Coverage {
        guard let platform else { return [] }
        let context = prepared.event.context
        let clickID: RawPII? =
            switch platform {
            case .meta: context.fbc
            case .google: context.gclid ?? context.gbraid ?? context.wbraid
            case .tiktok: context.ttclid
            case .pinterest: context.epik
            case .snapchat: context.scClickID
            }
        var coverage: PreparedRecord.Coverage = []
        // Asked without copying the identifiers or trimming the click id (1.1 % of the relay's
        // samples when it did both, once per order and platform).
        if prepared.hasIdentifier(.email, for: platform) { coverage.insert(.email) }
        if prepared.hasIdentifier(.phone, for: platform) {
            coverage.insert(.phone)
        } else if prepared.hasInvalidIdentifier(.phone, for: platform) {
            coverage.insert(.invalidPhone)
        }
        if let clickID, !clickID.isBlank { coverage.insert(.clickID) }
        return coverage
    }
}

/// The blocks one thread encodes a run of records into: one per lane, made when the lane first
/// gets an event, each event's payload a slice of it (``PayloadBlock``). Not shared: each thread of
/// `RecordPreparer.prepare(_: [KafkaRecord])` has its own, and stops writing before the
/// engine takes the slices.
final class LanePayloadBlocks {
    /// Unchecked exclusivity: one thread uses it, as said above.
    @exclusivity(unchecked) private var blocks: [PayloadBlock?]
    /// Room each block starts with (``PayloadBlock/initialBytesPerEvent`` per record), so it
    /// rarely grows: a growth copies what it holds.
    private let initialCapacity: Int

    init(lanes: Int, records: Int) {
        blocks = Array(repeating: nil, count: lanes)
        initialCapacity = max(records, 1) * PayloadBlock.initialBytesPerEvent
    }

    func block(lane: Int) -> PayloadBlock {
        if let block = blocks[lane] { return block }
        let block = PayloadBlock(reservingCapacity: initialCapacity)
        blocks[lane] = block
        return block
    }

    /// Nothing more is written: each block gives back the room it did not use, which would
    /// otherwise live as long as its slices, uncounted by the memory budget.
    func finish() {
        for block in blocks { block?.write { $0.shrinkToFit() } }
    }
}

/// One lane's destination behind a reference that ``RecordPreparer`` calls without retaining.
final class LaneEncoder: Sendable {
    let destination: any ConversionDestination

    init(_ destination: any ConversionDestination) {
        self.destination = destination
    }
}
