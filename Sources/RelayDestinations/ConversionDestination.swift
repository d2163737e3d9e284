import RelayCore
import RelayCrypto
import RelayHTTP
import RelayPII

/// One ad platform's conversion API: how to encode an event, batch it, and read the answer.
///
/// Implementations are pure (no I/O): the relay sends the request and feeds the response back,
/// so encoders and classifiers are tested byte for byte without a network.
public protocol ConversionDestination: Sendable {
    /// Stable name used in config, metrics, headers and the ledger (`meta`, `google`, …).
    var name: String { get }
    var batchPolicy: BatchPolicy { get }
    /// Requests per minute this relay may send, or `nil` for no limit.
    var requestsPerMinute: Int? { get }
    /// Requests per day this relay may send, or `nil` for no limit.
    var requestsPerDay: Int? { get }

    /// Appends this platform's JSON event object for `prepared` to `writer` and returns `nil`,
    /// or says why it must not be sent (then `writer` holds what it held before). It writes with
    /// the fragment methods, so `writer` must be outside any container: the relay appends a run of
    /// events for one destination to one block (``PayloadBlock``), each payload a slice of it.
    func encode(_ prepared: PreparedEvent, into writer: inout JSONWriter) -> Exclusion?

    /// The HTTP request that delivers `events` (already-encoded event objects, at most
    /// `batchPolicy.maximumEvents`), sent from where they were encoded (``HTTPBody``).
    func makeRequest(_ events: [PayloadSlice]) -> HTTPRequest

    /// Adds credentials that must be fetched at send time (OAuth access tokens). `forceRefresh`
    /// after the platform answered 401. The default adds nothing.
    func authorize(_ request: inout HTTPRequest, forceRefresh: Bool) async throws(CredentialError)

    /// What the platform's answer means for the batch.
    func classify(_ response: HTTPResponse, eventCount: Int) -> DeliveryOutcome

    /// The request with every secret replaced by `<redacted>` (URL, headers, body), for `preview`.
    func redacted(_ request: HTTPRequest) -> HTTPRequest
}

extension ConversionDestination {
    public func authorize(_ request: inout HTTPRequest, forceRefresh: Bool) async throws(CredentialError) {}

    /// Encodes one event as this platform's JSON event object in an array of its own, or says why
    /// it must not be sent: ``encode(_:into:)`` into the event's scratch buffer, copied out (tests,
    /// previews, the verifier).
    public func encode(_ prepared: PreparedEvent) -> EncodingDecision {
        prepared.withScratchWriter { writer in
            if let exclusion = encode(prepared, into: &writer) { return .exclude(exclusion) }
            return .send(writer.bytes)
        }
    }

    /// `makeRequest(_: [PayloadSlice])` for payloads in arrays of their own (tests, previews,
    /// the verifier): each is copied into a block of its own.
    public func makeRequest(_ events: [[UInt8]]) -> HTTPRequest {
        makeRequest(events.map(PayloadSlice.init(copying:)))
    }
}

/// Credentials could not be obtained (token file unreadable, token endpoint refused).
/// The message never contains the credential.
public struct CredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Whether and how one event goes to one destination.
public enum EncodingDecision: Sendable {
    case send([UInt8])
    case exclude(Exclusion)
}

/// Why an event is not sent to a destination.
public struct Exclusion: Sendable, Equatable {
    /// Short machine-readable class: `no_consent`, `too_old`, `missing_required_field`, …
    public var reason: String
    /// Human detail naming fields and rules, never values.
    public var detail: String
    /// True when the event should go to the dead-letter topic (it would have been sent but
    /// cannot be); false for deliberate policy skips (no consent).
    public var deadLetter: Bool

    public init(reason: String, detail: String, deadLetter: Bool) {
        self.reason = reason
        self.detail = detail
        self.deadLetter = deadLetter
    }

    /// The event lacks what the platform requires: not sent there, dead-lettered with `detail`.
    public static func missingRequiredField(_ detail: String) -> Exclusion {
        Exclusion(reason: "missing_required_field", detail: detail, deadLetter: true)
    }
}

/// The platform's verdict on one request.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Every event was accepted.
    case delivered
    /// Try again later (throttling, outage); `retryAfterSeconds` when the platform said when.
    case retryable(reason: String, retryAfterSeconds: Double?)
    /// The request will never succeed as it is. `isolatable` is true when the platform rejects a
    /// whole batch because of one bad event, so splitting the batch finds it.
    case rejected(errorClass: String, reason: String, isolatable: Bool)
    /// The platform processed the batch event by event: these indexes were rejected (with why);
    /// every other event was accepted.
    case partial(rejected: [Int: String])
    /// The platform recorded none of the batch because of these events (index, why): set them
    /// aside and resend the others at once (Snapchat's `INVALID` answer names the failing event).
    case refused(failing: [Int: String])
    /// The credentials were refused (HTTP 401): refresh them once and resend.
    case unauthorized(reason: String)
}

extension DeliveryOutcome {
    /// Reads a `Retry-After` header given in seconds (HTTP-date values are treated as absent).
    static func retryAfterSeconds(_ header: String?) -> Double? {
        guard let header, let seconds = Double(header.trimmingSpaces()), seconds >= 0 else { return nil }
        return seconds
    }
}

extension String {
    /// `self` without leading and trailing spaces (U+0020).
    func trimmingSpaces() -> String {
        // Nothing to trim (the usual case): a first or last Character that is a space is that
        // one scalar, so its byte decides; no Substring, no grapheme breaking.
        guard let (first, last) = utf8Ends, first == 0x20 || last == 0x20 else { return self }
        // Character by character: a space followed by a combining mark is not a space.
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}

// The encoders write each platform's constant structure as whole fragments (`,"event_id":"`) and
// the values between them (`JSONWriter.fragment`): one copy per run of constant bytes
// instead of a call per key, quote and bracket. A member that may be absent is one fragment that
// starts with its comma; a container whose members are all optional is bracketed by
// ``JSONWriter/beginMembers()``.
extension JSONWriter {
    /// Writes the event id as a string's contents: held in line when it is short and needs no
    /// escaping (``PreparedEvent/eventIDText``), else scanned for escapes only when
    /// ``PreparedEvent`` found it needs them.
    @inline(__always)
    mutating func eventIDContents(_ prepared: PreparedEvent) {
        if let text = prepared.eventIDText {
            fragment(text)
        } else {
            idContents(prepared.eventID, needsNoEscaping: prepared.eventIDNeedsNoEscaping)
        }
    }

    /// Writes the order id as a string's contents, as ``eventIDContents(_:)``.
    @inline(__always)
    mutating func orderIDContents(_ prepared: PreparedEvent) {
        if let text = prepared.orderIDText {
            fragment(text)
        } else {
            idContents(prepared.event.orderID, needsNoEscaping: prepared.orderIDNeedsNoEscaping)
        }
    }

    /// An id that is not held in line, as a string's contents.
    private mutating func idContents(_ id: String, needsNoEscaping: Bool) {
        if needsNoEscaping {
            unescapedStringContents(id)
        } else {
            stringContents(id)
        }
    }

    /// Writes `,"custom_data":{"currency":"<ISO 4217>","value":<number>,"order_id":"<id>"`, left
    /// open for the rest (Meta and Snapchat). The currency is an ISO 4217 code (the decoder checks
    /// it) and a number's literal has nothing to escape; the order id comes from the shop.
    mutating func customDataOpening(_ prepared: PreparedEvent) {
        let event = prepared.event
        fragment(#","custom_data":{"currency":""#)
        unescapedStringContents(event.currency)
        fragment(#"","value":"#)
        numberLiteral(event.value)
        fragment(#","order_id":""#)
        orderIDContents(prepared)
        fragment("\"")
    }

    /// Writes `,"content_ids":["<sku>",…]`, the items' SKUs in order (Meta and Pinterest).
    mutating func contentIDs(of prepared: PreparedEvent) {
        fragment(#","content_ids":"#)
        let ids = beginMembers()
        let items = prepared.event.items
        for index in items.indices {
            fragment(#",""#)
            itemSKUContents(items[index])
            fragment("\"")
        }
        endMembers(ids, open: UInt8(ascii: "["), close: UInt8(ascii: "]"))
    }

    /// Writes `member` (`,"contents":`) and an array of one object per item of `prepared`: `{`,
    /// what `members` writes (complete members, the first without a comma), `}`.
    mutating func itemObjects(
        _ member: StaticString, _ prepared: PreparedEvent, _ members: (inout JSONWriter, OrderEvent.Item) -> Void
    ) {
        fragment(member)
        let objects = beginMembers()
        let items = prepared.event.items
        for index in items.indices {
            fragment(",{")
            members(&self, items[index])
            fragment("}")
        }
        endMembers(objects, open: UInt8(ascii: "["), close: UInt8(ascii: "]"))
    }
}

/// The items' quantities added up (`num_items`), read in place: `reduce` copied each item,
/// retaining its strings.
func totalQuantity(of items: [OrderEvent.Item]) -> Int64 {
    var total: Int64 = 0
    for index in items.indices { total += items[index].quantity }
    return total
}

/// `"<value>"` escaped once, for a fragment built from configuration when the destination is made.
func quotedFragment(_ value: String) -> [UInt8] {
    var writer = JSONWriter(reservingCapacity: value.utf8.count + 8)
    writer.string(value)
    return writer.bytes
}

/// Joins a configured base URL (with or without a trailing slash) and an absolute path.
func endpointURL(_ base: String, _ path: String) -> String {
    (base.hasSuffix("/") ? String(base.dropLast()) : base) + path
}

/// The hashed `user_data` keys that Meta documents and Pinterest and Snapchat share
/// (destinations.md §1, §4, §5), in the order they are written.
let sharedHashedUserDataFields: [IdentityField] = [
    .email, .phone, .firstName, .lastName, .city, .state, .postalCode, .country, .dateOfBirth, .gender, .externalID,
]

/// The fragment that opens the shared `user_data` member of `field` (`,"em":["`).
@inline(__always)
func sharedUserDataMember(_ field: IdentityField) -> StaticString {
    switch field {
    case .email: #","em":[""#
    case .phone: #","ph":[""#
    case .firstName: #","fn":[""#
    case .lastName: #","ln":[""#
    case .city: #","ct":[""#
    case .state: #","st":[""#
    case .postalCode: #","zp":[""#
    case .country: #","country":[""#
    case .dateOfBirth: #","db":[""#
    case .gender: #","ge":[""#
    case .externalID: #","external_id":[""#
    }
}

/// ``sharedUserDataMember(_:)`` of every field by ``IdentityField/ordinal``, each in
/// ``JSONWriter/paddedHeadReadable`` bytes, zero-padded, its length in the last byte: written as one
/// store of the whole entry (``JSONWriter/fragments(padded:count:_:count:_:)``). A literal, so the
/// table is a constant (a table built at run time is a lazy global, checked on every use); a test
/// holds it equal to ``paddedSharedUserDataMembers()``.
var sharedUserDataMembers: StaticString {
    """
    ,"em":["\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u{8}\
    ,"ph":["\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u{8}\
    ,"fn":["\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u{8}\
    ,"ln":["\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u{8}\
    ,"ct":["\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u{8}\
    ,"st":["\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u{8}\
    ,"zp":["\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u{8}\
    ,"country":["\0\0\0\0\0\0\0\0\0\0\u{D}\
    ,"db":["\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u{8}\
    ,"ge":["\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\u{8}\
    ,"external_id":["\0\0\0\0\0\0\u{11}
    """
}

/// ``sharedUserDataMembers`` as worked out from ``sharedUserDataMember(_:)``: the definition the
/// literal is tested against.
func paddedSharedUserDataMembers() -> [UInt8] {
    IdentityField.allCases.flatMap { field -> [UInt8] in
        let member = sharedUserDataMember(field)
        let width = JSONWriter.paddedHeadReadable
        precondition(member.utf8CodeUnitCount < width, "a member's text and its length fit in one entry")
        var entry = [UInt8](repeating: 0, count: width)
        member.withUTF8Buffer { entry.replaceSubrange(0..<$0.count, with: $0) }
        entry[width - 1] = UInt8(member.utf8CodeUnitCount)
        return entry
    }
}

/// The rule slots of `fields` for `platform` as a set (``PreparedEvent/wireSlots(_:for:)``), of
/// fields written in ascending slot order (``JSONWriter/hashedUserData(_:_:for:)`` writes by bit),
/// checked then: worked out once per destination.
func ascendingSlotSet(_ fields: [IdentityField], for platform: Platform) -> UInt64 {
    var set: UInt64 = 0
    for field in fields {
        let bit = IdentityNormalizer.ruleSlotBit(field, for: platform)
        precondition(bit != 0 && bit > set, "user-data fields must be sent and in ascending rule-slot order")
        set |= bit
    }
    return set
}

/// Which user-data keys an encoded event carries (a bit set: no strings or sets per event).
struct UserDataKeys: OptionSet {
    let rawValue: UInt32

    /// The key of one identity field: bits 0–10, by the field's position in `allCases`.
    init(_ field: IdentityField) {
        rawValue = 1 << field.ordinal
    }

    init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    static let clientIPAddress = UserDataKeys(rawValue: 1 << 16)
    static let clientUserAgent = UserDataKeys(rawValue: 1 << 17)
    static let fbc = UserDataKeys(rawValue: 1 << 18)
    static let fbp = UserDataKeys(rawValue: 1 << 19)
}

extension JSONWriter {
    /// Writes each identifier of `slots` (``ascendingSlotSet(_:for:)``) that has a wire value as
    /// `,"key":["<hash>"]` (the array form every platform accepts for user data), normalised for
    /// `platform` and read where the cache holds it, in slot order; returns the keys written.
    @discardableResult
    mutating func hashedUserData(_ slots: UInt64, _ prepared: PreparedEvent, for platform: Platform) -> UserDataKeys {
        var written: UserDataKeys = []
        var wire = prepared.wireSlots(slots, for: platform)
        let members = sharedUserDataMembers.utf8Start
        let width = JSONWriter.paddedHeadReadable
        while wire != 0 {
            let slot = wire.trailingZeroBitCount
            wire &= wire &- 1
            let field = IdentityNormalizer.ruleField(slot: slot)
            if let digits = prepared.hexDigits(slot: slot) {
                // Member, digits and closing with one reserve, the member stored whole.
                let member = members + field.ordinal &* width
                fragments(padded: member, count: Int(member[width &- 1]), digits, count: SHA256Digest.hexCount, #""]"#)
            } else {
                fragment(sharedUserDataMember(field))
                prepared.writeWireValue(slot: slot, into: &self)
                fragment(#""]"#)
            }
            written.insert(UserDataKeys(field))
        }
        return written
    }

    /// Writes `member`, the wire value of the rule slot `bit` (``IdentityNormalizer/ruleSlotBit(_:for:)``
    /// of a field and platform) and `closing` when `wire` (an answer of
    /// ``PreparedEvent/wireSlots(_:for:)`` that asked for it) holds it; returns whether it wrote.
    /// The slot comes from the caller, where the field and platform are constants: worked out in
    /// here, its switch made the function too large for the inliner, which then called it and
    /// worked the slot out at run time on every call.
    @inline(__always)
    @discardableResult
    mutating func identifierMember(
        _ member: StaticString, slot bit: UInt64, in wire: UInt64, of prepared: PreparedEvent, closing: StaticString = "\""
    ) -> Bool {
        guard wire & bit != 0 else { return false }
        fragment(member)
        prepared.writeWireValue(slot: bit.trailingZeroBitCount, into: &self)
        fragment(closing)
        return true
    }

    /// Writes the wire value of the rule slot `bit` as a string's contents when `wire` holds it
    /// (``identifierMember(_:slot:in:of:closing:)`` without the member).
    @inline(__always)
    mutating func identifierContents(slot bit: UInt64, in wire: UInt64, of prepared: PreparedEvent) {
        guard wire & bit != 0 else { return }
        prepared.writeWireValue(slot: bit.trailingZeroBitCount, into: &self)
    }
}

/// Replaces occurrences of secrets in URLs, headers and bodies with `<redacted>`.
enum Redaction {
    static func redact(_ request: HTTPRequest, secrets: [String]) -> HTTPRequest {
        var copy = request
        for secret in secrets where !secret.isEmpty {
            copy.url = copy.url.replacing(secret, with: "<redacted>")
            var encoded: [UInt8] = []
            FormURLEncoding.append(secret.utf8, to: &encoded)
            let encodedSecret = String(decoding: encoded, as: UTF8.self)
            copy.url = copy.url.replacing(encodedSecret, with: "<redacted>")
            copy.headers = copy.headers.map { ($0.name, $0.value.replacing(secret, with: "<redacted>")) }
            var body = String(decoding: copy.body, as: UTF8.self)
            body = body.replacing(secret, with: "<redacted>").replacing(encodedSecret, with: "<redacted>")
            copy.body = Array(body.utf8)
        }
        return copy
    }
}

/// `application/x-www-form-urlencoded` encoding (RFC 3986 unreserved characters kept).
public enum FormURLEncoding {
    private static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Bytes kept as they are, 1 (RFC 3986 unreserved characters), others 0.
    private static let unreserved: [UInt8] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            1
        default: 0
        }
    }

    /// Appends the encoding of `bytes` (short values: tokens, a JWT assertion, redactions; Meta's
    /// bodies are multipart).
    public static func append(_ bytes: some Sequence<UInt8>, to output: inout [UInt8]) {
        output.reserveCapacity(output.count + bytes.underestimatedCount)
        for byte in bytes {
            if unreserved[Int(byte)] != 0 {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
        }
    }
}

/// The settings every destination has, so configuration code reads them in one place.
public protocol CommonDestinationSettings {
    /// Base URL, overridable for proxies and the sandbox.
    var endpoint: String { get set }
    var timeoutMilliseconds: Int { get set }
    var batchPolicy: BatchPolicy { get set }
    var requestsPerMinute: Int? { get set }
    var requestsPerDay: Int? { get set }
}

/// A destination driven by a configuration that carries the common settings.
public protocol ConfiguredDestination: ConversionDestination {
    associatedtype Configuration: CommonDestinationSettings
    var configuration: Configuration { get }
}

extension ConfiguredDestination {
    public var batchPolicy: BatchPolicy { configuration.batchPolicy }
    public var requestsPerMinute: Int? { configuration.requestsPerMinute }
    public var requestsPerDay: Int? { configuration.requestsPerDay }
}

extension MetaDestinationConfiguration: CommonDestinationSettings {}
extension GoogleDestinationConfiguration: CommonDestinationSettings {}
extension TikTokDestinationConfiguration: CommonDestinationSettings {}
extension PinterestDestinationConfiguration: CommonDestinationSettings {}
extension SnapchatDestinationConfiguration: CommonDestinationSettings {}
