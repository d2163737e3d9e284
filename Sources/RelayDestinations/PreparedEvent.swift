import RelayCore
import RelayCrypto
import RelayPII

/// One decoded event as every destination encodes it: the event, its deduplication id, the
/// current time, and a per-event cache so each identifier is normalised and hashed once per
/// distinct rule (``IdentityNormalizer/ruleKey(_:for:)``) however many platforms share the rule.
///
/// Not `Sendable`: it lives inside one ingest call.
public final class PreparedEvent {
    public let event: OrderEvent
    public let eventID: String
    /// Wall-clock seconds used for event-age checks.
    public let nowSeconds: Int64
    /// Whether ``eventID`` and the order id go into a JSON string as they are (nearly always):
    /// checked once here instead of scanned by each of the five encoders.
    let eventIDNeedsNoEscaping: Bool
    let orderIDNeedsNoEscaping: Bool
    /// The event id and the order id when they need no escaping and are short (nearly always):
    /// held in line, each written by one store per platform.
    let eventIDText: ShortText?
    let orderIDText: ShortText?
    /// The event time's seconds as digits, formatted once for the four platforms that send them.
    let occurredAtDigits: ShortText
    private let normalizer = IdentityNormalizer()
    private let context: IdentityContext
    /// Normalised identifiers by rule slot (``IdentityNormalizer/ruleSlot(_:for:)``), indexed
    /// directly; bit `s` of `computedSlots` marks slot `s` as worked out, bit `s` of
    /// `presentSlots` as holding a value (only those slots are initialised: an identifier may be
    /// absent, blank or unusable). Storage for ``IdentityNormalizer/ruleSlotCount`` values is
    /// allocated with the first value (an array of optionals would fill every slot with `nil`,
    /// check uniqueness on every store and destroy every slot). Exclusivity is not checked at run
    /// time (a check on every access): the class is not `Sendable` and never leaves the thread
    /// that prepares its event, and no access to these overlaps another.
    @exclusivity(unchecked) private var identifiers: UnsafeMutablePointer<NormalizedIdentifier>? = nil
    /// A digest's 64 hexadecimal digits per slot (``SHA256Digest/hexCount`` bytes at
    /// `slot * hexCount`), written once when the slot is filled, in the same allocation as
    /// `identifiers`: the encoders copy them (~3 times per digest) instead of formatting each time.
    @exclusivity(unchecked) private var hexDigits: UnsafeMutablePointer<UInt8>? = nil
    /// Per ``ContextField``, 4 bits: whether its value is sent, and plain; and whether they are
    /// worked out (`PreparedEvent+Context.swift`).
    @exclusivity(unchecked) var contextStates: UInt64 = 0
    /// The plain context values' bytes, copied once, after one word per ``ContextField`` saying
    /// where its bytes are (`PreparedEvent+Context.swift`); `nil` until worked out.
    @exclusivity(unchecked) var contextText: UnsafeMutablePointer<UInt8>? = nil
    /// Where `contextText` starts, in the slot block (``allocateSlots()``), until the values need
    /// more than its ``contextTextRoomByteCount`` bytes; `nil` until that block is allocated.
    /// Worked out from `identifiers`, not stored: the instance stays within the size `malloc`
    /// serves from its per-thread cache (1,032 bytes).
    var contextTextRoom: UnsafeMutablePointer<UInt8>? {
        identifiers.map { (UnsafeMutableRawPointer($0) + Self.slotBlockLayout.text).assumingMemoryBound(to: UInt8.self) }
    }
    /// Bit 0 the first name, bit 1 the last: whether ``copySibling(_:for:from:into:)`` asked if
    /// the name is the same under every rule, and the answer.
    @exclusivity(unchecked) private var namesAsked: UInt8 = 0
    @exclusivity(unchecked) private var namesShared: UInt8 = 0
    @exclusivity(unchecked) private var computedSlots: UInt64 = 0
    @exclusivity(unchecked) private var presentSlots: UInt64 = 0
    /// Of `presentSlots`, the slots whose identifier has a wire value (``wireSlots(_:for:)``),
    /// and of those, the ones whose wire value is a digest's digits in `hexDigits`.
    @exclusivity(unchecked) private var wireSlotBits: UInt64 = 0
    @exclusivity(unchecked) private var hexSlotBits: UInt64 = 0
    /// One JSON buffer the event's encoders write into in turn, each copying its payload out: one
    /// allocation per event, grown at most once, instead of one per encoder and its growth.
    /// Its storage is the slot block's last ``scratchByteCount`` bytes (``allocateSlots()``), the
    /// block allocated on the first use if it was not yet; until then it has none.
    @exclusivity(unchecked) private var scratchWriter = JSONWriter(borrowing: UnsafeMutablePointer(bitPattern: 8).unsafelyUnwrapped, capacity: 0)
    /// The scratch writer's room in the slot block.
    static var scratchByteCount: Int { 2048 }

    public init(event: OrderEvent, eventID: String, nowSeconds: Int64) {
        // Everything read from `event` before it is stored: a read after would copy it.
        // The event id is usually the order id (the default template): checked once then.
        let orderIDNeedsNoEscaping = JSONWriter.needsNoEscaping(event.orderID)
        let orderIDText = orderIDNeedsNoEscaping ? ShortText(event.orderID) : nil
        self.orderIDNeedsNoEscaping = orderIDNeedsNoEscaping
        self.orderIDText = orderIDText
        if eventID == event.orderID {
            eventIDNeedsNoEscaping = orderIDNeedsNoEscaping
            eventIDText = orderIDText
        } else {
            eventIDNeedsNoEscaping = JSONWriter.needsNoEscaping(eventID)
            eventIDText = eventIDNeedsNoEscaping ? ShortText(eventID) : nil
        }
        context = IdentityContext(countryHint: event.customer.country)
        occurredAtDigits = ShortText(decimal: event.occurredAt.epochSeconds)
        self.event = event
        self.eventID = eventID
        self.nowSeconds = nowSeconds
    }

    deinit {
        // The block of `identifiers` holds the context's first block too: the context is not used
        // after this (it frees only what it allocated itself).
        // `contextText` is in that block too unless the values outgrew its room there.
        if let contextText, contextText != contextTextRoom { UnsafeMutableRawPointer(contextText).deallocate() }
        guard let identifiers else { return }
        var present = presentSlots
        while present != 0 {
            (identifiers + present.trailingZeroBitCount).deinitialize(count: 1)
            present &= present &- 1
        }
        UnsafeMutableRawPointer(identifiers).deallocate()
    }

    /// The identifier as `platform` wants it, copied out, or `nil` when absent, unusable or not
    /// sent there. A copy because a cached ``NormalizedIdentifier`` may reference this event's
    /// `IdentityContext` (values over 71 bytes) and must not outlive it; the encoders read the
    /// cache in place (``withIdentifier(_:for:_:)``, ``writeWireValue(_:for:into:)``).
    public func identifier(_ field: IdentityField, for platform: Platform) -> OwnedIdentifier? {
        guard let slot = presentSlot(field, for: platform) else { return nil }
        return withExtendedLifetime(self) { OwnedIdentifier(identifiers![slot]) }
    }

    /// Calls `body` with where the cache holds the identifier, or returns `nil` when absent,
    /// unusable or not sent there, as ``identifier(_:for:)``. A pointer, not the value: passing
    /// the value (even `borrowing`) copied it out of the cache and destroyed the copy, retaining
    /// and releasing its string. The pointer is valid only during `body`.
    public func withIdentifier<Result>(
        _ field: IdentityField, for platform: Platform, _ body: (UnsafePointer<NormalizedIdentifier>) -> Result
    ) -> Result? {
        guard let slot = presentSlot(field, for: platform) else { return nil }
        return body(UnsafePointer(identifiers.unsafelyUnwrapped + slot))
    }

    /// Writes the identifier's wire value (``NormalizedIdentifier/wireValue``) as a JSON string's
    /// contents and returns `true`, or returns `false` and writes nothing when there is none to
    /// send. A digest's hexadecimal digits are copied from where the cache keeps them.
    @discardableResult
    public func writeWireValue(_ field: IdentityField, for platform: Platform, into writer: inout JSONWriter) -> Bool {
        guard let slot = presentSlot(field, for: platform), wireSlotBits & (1 << UInt64(slot)) != 0 else { return false }
        writeWireValue(slot: slot, into: &writer)
        return true
    }

    /// Whether the identifier has a wire value to send (``NormalizedIdentifier/hasWireValue``).
    public func hasWireValue(_ field: IdentityField, for platform: Platform) -> Bool {
        guard let slot = presentSlot(field, for: platform) else { return false }
        return wireSlotBits & (1 << UInt64(slot)) != 0
    }

    /// Writes the wire value of `slot`, which must be in ``wireSlots(_:for:)``'s answer, as a
    /// JSON string's contents: a digest's 64 digits copied from where the cache keeps them
    /// (inlined: a copy of constant length), a plain value escaped.
    @inline(__always)
    func writeWireValue(slot: Int, into writer: inout JSONWriter) {
        if hexSlotBits & (1 << UInt64(slot)) != 0 {
            writer.fragment(UnsafeBufferPointer(start: hexDigits.unsafelyUnwrapped + slot &* SHA256Digest.hexCount, count: SHA256Digest.hexCount))
        } else {
            writePlainWireValue(slot: slot, into: &writer)
        }
    }

    /// Where the digest's digits of `slot` (in ``wireSlots(_:for:)``'s answer) are kept, or `nil`
    /// when its wire value is a plain value (``writeWireValue(slot:into:)`` writes those).
    @inline(__always)
    func hexDigits(slot: Int) -> UnsafePointer<UInt8>? {
        hexSlotBits & (1 << UInt64(slot)) != 0 ? UnsafePointer(hexDigits.unsafelyUnwrapped + slot &* SHA256Digest.hexCount) : nil
    }

    /// ``writeWireValue(slot:into:)`` for a wire slot without digits, which `fill` leaves only to
    /// plain values (a digest's slot is in `hexSlotBits`): the value, copied as it is when it has
    /// nothing to escape (a city, a postal code: nearly always), else escaped.
    private func writePlainWireValue(slot: Int, into writer: inout JSONWriter) {
        let identifier = identifiers.unsafelyUnwrapped + slot
        assert(identifier.pointee.transmission == .plain)
        // A value of up to 16 bytes (a country, a city, a postal code): tested and stored whole.
        if let short = identifier.pointee.value.shortInline, writer.unescapedContents(short.bytes, count: short.count) { return }
        identifier.pointee.value.withUTF8 { bytes in
            if JSONWriter.needsNoEscaping(bytes) {
                writer.fragment(bytes)
            } else {
                writer.stringContents(utf8: bytes)
            }
        }
    }

    /// Calls `body` with the event's JSON buffer, emptied; what `body` writes is valid until the
    /// next call, so `body` copies out what it keeps (``JSONWriter/bytes``).
    public func withScratchWriter<Result>(_ body: (inout JSONWriter) -> Result) -> Result {
        _ = identifierSlots()
        scratchWriter.reset()
        return body(&scratchWriter)
    }

    /// Whether ``identifier(_:for:)`` has a value, answered without copying it.
    public func hasIdentifier(_ field: IdentityField, for platform: Platform) -> Bool {
        withIdentifier(field, for: platform) { _ in () } != nil
    }

    /// Whether the customer gave a value for `field` that `platform` receives but that cannot be
    /// normalised (a phone libphonenumber does not find possible, an email without `@`): left out
    /// of the request, and counted as invalid in the identifier-coverage metrics.
    public func hasInvalidIdentifier(_ field: IdentityField, for platform: Platform) -> Bool {
        guard IdentityNormalizer.ruleSlot(field, for: platform) != nil, let raw = event.customer[field], !raw.isBlank
        else { return false }
        return presentSlot(field, for: platform) == nil
    }

    /// The pair's cache slot when it holds a value, its identifier worked out on first use; `nil`
    /// when not sent there, absent, blank or unusable.
    @inline(__always)
    private func presentSlot(_ field: IdentityField, for platform: Platform) -> Int? {
        guard let slot = IdentityNormalizer.ruleSlot(field, for: platform) else { return nil }
        let bit: UInt64 = 1 << UInt64(slot)
        if computedSlots & bit == 0 { fill(slots: bit, for: platform) }
        return presentSlots & bit == 0 ? nil : slot
    }

    /// Of `slots` (a set of rule slots, ``IdentityNormalizer/ruleSlotBit(_:for:)``, all of rules
    /// `platform` follows), those whose identifier has a wire value to send
    /// (``NormalizedIdentifier/hasWireValue``), every one of them worked out first if it was not:
    /// an encoder asks once for all its fields and writes them by bit
    /// (``writeWireValue(slot:into:)``) instead of looking each field up.
    @inline(__always)
    func wireSlots(_ slots: UInt64, for platform: Platform) -> UInt64 {
        let missing = slots & ~computedSlots
        if missing != 0 { fill(slots: missing, for: platform) }
        return wireSlotBits & slots
    }

    /// Of `slots` (as for ``wireSlots(_:for:)``), those that hold a value, every one of them worked
    /// out first if it was not (``hasIdentifier(_:for:)`` for several fields at once).
    @inline(__always)
    func presentSlots(_ slots: UInt64, for platform: Platform) -> UInt64 {
        let missing = slots & ~computedSlots
        if missing != 0 { fill(slots: missing, for: platform) }
        return presentSlots & slots
    }

    /// Works out the identifier of every slot in `slots` (not worked out yet) as `platform`
    /// wants it; a slot's field is the same for every platform that shares it.
    private func fill(slots: UInt64, for platform: Platform) {
        var missing = slots
        computedSlots |= slots
        while missing != 0 {
            let slot = missing.trailingZeroBitCount
            missing &= missing &- 1
            let field = IdentityNormalizer.ruleField(slot: slot)
            let identifier = identifierSlots() + slot
            // No blank test first: `normalize` refuses every value `isBlank` calls blank.
            // A slot of a field whose rules can agree, with another slot of the field holding a value:
            // that value when the rules agree on the customer's, digits and all.
            let siblings = presentSlots & Self.slotsSharing(slot, of: field)
            if siblings != 0, copySibling(field, for: platform, from: siblings.trailingZeroBitCount, into: identifier) {
                takeBits(of: siblings.trailingZeroBitCount, for: slot)
                continue
            }
            // A phone for Google or TikTok, with the other's slot holding the same identifier: a copy, digits and all.
            let phoneTwin = field == .phone ? presentSlots & Self.googleAndTikTokPhoneSlots & ~(1 << UInt64(slot)) : 0
            if phoneTwin != 0,
                IdentityNormalizer.phoneCopy(of: identifiers.unsafelyUnwrapped + phoneTwin.trailingZeroBitCount, for: platform, into: identifier)
            {
                takeBits(of: phoneTwin.trailingZeroBitCount, for: slot)
                continue
            }
            // A city or country sent plain, with the slot that hashes the same rule's value holding it: that value.
            let hashedTwin = field == .city || field == .country ? presentSlots & IdentityNormalizer.sameRuleSlotBits(slot: slot) : 0
            var normalized: Bool? =
                if hashedTwin != 0,
                    IdentityNormalizer.plainCopy(of: identifiers.unsafelyUnwrapped + hashedTwin.trailingZeroBitCount, into: identifier)
                {
                    true
                } else {
                    normalizeInPlace(field, for: platform, into: identifier)
                }
            if normalized == nil {
                // The byte path left the value to the general rules: only those run now.
                normalized = event.customer[field].map {
                    normalizer.normalizeByGeneralRules(field, $0, for: platform, context: context, into: identifier)
                }
            }
            guard normalized == true else { continue }
            let bit: UInt64 = 1 << UInt64(slot)
            if identifier.pointee.hasWireValue { wireSlotBits |= bit }
            if identifier.pointee.transmission == .sha256, let digest = identifier.pointee.digest {
                digest.writeHex(to: hexDigits.unsafelyUnwrapped + slot &* SHA256Digest.hexCount)
                hexSlotBits |= bit
            }
            presentSlots |= bit
        }
    }

    /// Google's and TikTok's phone slots, whose identifiers are the same unless the number is Chinese.
    private static var googleAndTikTokPhoneSlots: UInt64 {
        IdentityNormalizer.ruleSlotBit(.phone, for: .google) | IdentityNormalizer.ruleSlotBit(.phone, for: .tiktok)
    }

    /// Marks `slot`, which holds a copy of slot `sibling`'s identifier, as present with the
    /// sibling's wire and digit bits, the sibling's digits copied (not formatted again).
    @inline(__always)
    private func takeBits(of sibling: Int, for slot: Int) {
        let bit: UInt64 = 1 << UInt64(slot)
        let siblingBit: UInt64 = 1 << UInt64(sibling)
        if wireSlotBits & siblingBit != 0 { wireSlotBits |= bit }
        if hexSlotBits & siblingBit != 0 {
            let digits = hexDigits.unsafelyUnwrapped
            (digits + slot &* SHA256Digest.hexCount).update(from: digits + sibling &* SHA256Digest.hexCount, count: SHA256Digest.hexCount)
            hexSlotBits |= bit
        }
        presentSlots |= bit
    }

    /// The other slots of `field` (`slot`'s) when its rules can agree on a value (an email address,
    /// first and last names: ``IdentityNormalizer/isSameIdentifier(_:utf8:for:as:)``), else none.
    @inline(__always)
    private static func slotsSharing(_ slot: Int, of field: IdentityField) -> UInt64 {
        switch field {
        case .email, .firstName, .lastName: IdentityNormalizer.ruleSlotBits(of: field) & ~(1 << UInt64(slot))
        default: 0
        }
    }

    /// Initialises `identifier` as a copy of slot `sibling`'s (another rule of `field`, holding a
    /// value) and returns `true` when `platform`'s rule gives the same identifier for the
    /// customer's value (a name of letters alone for Meta, Google and TikTok, an address outside
    /// Gmail for Google and the others): no rule run, no digest looked up.
    private func copySibling(
        _ field: IdentityField, for platform: Platform, from sibling: Int, into identifier: UnsafeMutablePointer<NormalizedIdentifier>
    ) -> Bool {
        let source = UnsafePointer(identifiers.unsafelyUnwrapped + sibling)
        // A name's answer is its value's alone (every name rule hashes): the third rule of the
        // field takes the second's.
        let nameBit: UInt8 = field == .firstName ? 1 : field == .lastName ? 2 : 0
        if namesAsked & nameBit != 0 {
            guard namesShared & nameBit != 0 else { return false }
            identifier.initialize(to: source.pointee)
            return true
        }
        let same = withCustomerBytes(field) { IdentityNormalizer.isSameIdentifier(field, utf8: $0, for: platform, as: source) }
        namesAsked |= nameBit
        guard same == true else { return false }
        namesShared |= nameBit
        identifier.initialize(to: source.pointee)
        return true
    }

    /// Normalises the customer's value of `field` for `platform` into `identifier`, its bytes
    /// read where the event keeps it (copying the ``RawPII`` out retained and released the
    /// record it is a range of): `true` when normalised, `false` when absent or unusable, `nil`
    /// when the general rules must decide.
    @inline(__always)
    private func normalizeInPlace(
        _ field: IdentityField, for platform: Platform, into identifier: UnsafeMutablePointer<NormalizedIdentifier>
    ) -> Bool? {
        /// -1: the general rules decide; 0: unusable; 1: normalised (optional chaining below
        /// would merge a `nil` with an absent value).
        func code(_ raw: UnsafeBufferPointer<UInt8>) -> Int8 {
            switch normalizer.normalize(field, utf8: raw, for: platform, context: context, into: identifier) {
            case true?: 1
            case false?: 0
            case nil: -1
            }
        }
        guard let result = withCustomerBytes(field, code) else { return false }
        return result < 0 ? nil : result == 1
    }

    /// Calls `body` with the UTF-8 bytes of the customer's value of `field` where the event keeps
    /// them, or returns `nil` when the customer has none. Through `withUTF8` on the stored value:
    /// copying the ``RawPII`` out (``OrderEvent/Customer/subscript(field:)``) retained and
    /// released the record it is a range of.
    @inline(__always)
    private func withCustomerBytes<Result>(_ field: IdentityField, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result? {
        switch field {
        case .email: event.customer.email?.withUTF8(body)
        case .phone: event.customer.phone?.withUTF8(body)
        case .firstName: event.customer.firstName?.withUTF8(body)
        case .lastName: event.customer.lastName?.withUTF8(body)
        case .city: event.customer.city?.withUTF8(body)
        case .state: event.customer.state?.withUTF8(body)
        case .postalCode: event.customer.postalCode?.withUTF8(body)
        case .country: event.customer.country?.withUTF8(body)
        case .dateOfBirth: event.customer.dateOfBirth?.withUTF8(body)
        case .gender: event.customer.gender?.withUTF8(body)
        case .externalID: event.customer.id?.withUTF8(body)
        }
    }

    /// `identifiers`, with the block it starts (``allocateSlots()``) allocated on the first call:
    /// the one test of whether that block exists, for the slots, the context text and the scratch
    /// writer alike.
    @inline(__always)
    func identifierSlots() -> UnsafeMutablePointer<NormalizedIdentifier> {
        identifiers ?? allocateSlots()
    }

    /// Allocates `identifiers` and `hexDigits` together, one slot each per rule, after them the
    /// context's first block (``IdentityContext/useFirstBlock(_:)``: the first values normalised
    /// and hashed), the room for `contextText` (``contextTextRoomByteCount``) and last the scratch
    /// writer's, before any value is normalised or context value copied: one allocation for them
    /// all, freed in `deinit`.
    private func allocateSlots() -> UnsafeMutablePointer<NormalizedIdentifier> {
        let slots = IdentityNormalizer.ruleSlotCount
        let layout = Self.slotBlockLayout
        let block = UnsafeMutableRawPointer.allocate(
            byteCount: layout.scratch + Self.scratchByteCount,
            alignment: max(MemoryLayout<NormalizedIdentifier>.alignment, IdentityContext.firstBlockAlignment, 8))
        let storage = block.bindMemory(to: NormalizedIdentifier.self, capacity: slots)
        identifiers = storage
        hexDigits = (block + Self.hexDigitsOffset).bindMemory(to: UInt8.self, capacity: slots &* SHA256Digest.hexCount)
        context.useFirstBlock(block + layout.context)
        (block + layout.text).bindMemory(to: UInt8.self, capacity: Self.contextTextRoomByteCount)
        scratchWriter = JSONWriter(
            borrowing: (block + layout.scratch).bindMemory(to: UInt8.self, capacity: Self.scratchByteCount), capacity: Self.scratchByteCount)
        return storage
    }

    /// Where `hexDigits` start in the slot block: after the identifiers.
    private static var hexDigitsOffset: Int { IdentityNormalizer.ruleSlotCount &* MemoryLayout<NormalizedIdentifier>.stride }

    /// Where the context's first block, the room for `contextText` and the scratch writer's start
    /// in the slot block (``allocateSlots()``).
    private static let slotBlockLayout: (context: Int, text: Int, scratch: Int) = {
        let contextAlignment = IdentityContext.firstBlockAlignment
        let hexEnd = hexDigitsOffset + IdentityNormalizer.ruleSlotCount * SHA256Digest.hexCount
        let context = (hexEnd + contextAlignment - 1) / contextAlignment * contextAlignment
        let text = (context + IdentityContext.firstBlockByteCount + 7) / 8 * 8
        return (context, text, text + contextTextRoomByteCount)
    }()

    /// A context value trimmed, or `nil` when absent or blank (click ids, cookies, IP, user agent:
    /// never hashed, never case-changed: fbclid, ttclid, epik and ScCid are case-sensitive).
    /// Read in place as bytes when there is nothing to trim, the usual case: no `String` per value.
    public func raw(_ value: RawPII?) -> RawText? {
        guard let value, !value.isBlank else { return nil }
        let hasEndSpace = value.withUTF8 { bytes in bytes.first == 0x20 || bytes.last == 0x20 }
        return hasEndSpace ? RawText(trimmed: value.unredactedValue.trimmingSpaces()) : RawText(value)
    }

    /// The checks every platform shares: marketing consent, then the platform's oldest accepted
    /// event (destinations.md §6.8: an event past it fails, for Meta the whole request). The
    /// checks in line, the exclusion made by a call (rare).
    @inline(__always)
    public func commonExclusion(platform: String, maximumAgeSeconds: Int64) -> Exclusion? {
        guard event.consent.marketing == false || nowSeconds - event.occurredAt.epochSeconds > maximumAgeSeconds else {
            return nil
        }
        return exclusion(platform: platform, maximumAgeSeconds: maximumAgeSeconds)
    }

    /// ``commonExclusion(platform:maximumAgeSeconds:)``'s exclusion.
    private func exclusion(platform: String, maximumAgeSeconds: Int64) -> Exclusion? {
        if event.consent.marketing == false {
            return Exclusion(reason: "no_consent", detail: "consent.marketing is false", deadLetter: false)
        }
        if nowSeconds - event.occurredAt.epochSeconds > maximumAgeSeconds {
            return Exclusion(
                reason: "too_old",
                detail: "occurred_at is older than \(platform) accepts (\(maximumAgeSeconds / 86_400) days)",
                deadLetter: true)
        }
        return nil
    }
}

/// A context value as it is sent (``PreparedEvent/raw(_:)``): the shop's text without leading and
/// trailing spaces. Never printed, like the ``RawPII`` it comes from.
public struct RawText: RedactedValue {
    private let value: RawPII

    init(_ value: RawPII) { self.value = value }
    init(trimmed text: String) { value = RawPII(text) }

    public var unredactedValue: String { value.unredactedValue }

    /// Calls `body` with the text's UTF-8 bytes, valid only during `body`.
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try value.withUTF8(body)
    }
}
