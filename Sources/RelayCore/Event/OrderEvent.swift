/// An `order.completed` event, version 1, as `schemas/order-completed.v1.json` defines it.
///
/// Every personal field is a ``RawPII`` so the event can be logged by its ``orderID`` only.
public struct OrderEvent: Sendable, Equatable {
    public var orderID: String
    public var occurredAt: Timestamp
    public var currency: String
    public var value: JSONNumber
    /// The store, when the event names one.
    public var storeID: String? {
        get { hasStoreID ? storeIDText : nil }
        set {
            storeIDText = newValue ?? ""
            hasStoreID = newValue != nil
        }
    }
    /// `storeID` as a string and a flag, not a `String?`: with an optional string among its
    /// stored properties, the optimiser built every new event twice and copied one into the other
    /// (an outlined copy and destroy of all its fields, ~1,000 instructions per decoded record;
    /// reproduced in a file of its own with this struct's layout, gone without the optional).
    private var storeIDText: String
    private var hasStoreID: Bool
    public var items: [Item]
    public var customer: Customer
    public var context: Context
    public var consent: Consent

    public init(
        orderID: String, occurredAt: Timestamp, currency: String, value: JSONNumber, storeID: String? = nil,
        items: [Item] = [], customer: Customer = Customer(), context: Context = Context(),
        consent: Consent = Consent()
    ) {
        self.orderID = orderID
        self.occurredAt = occurredAt
        self.currency = currency
        self.value = value
        self.storeIDText = storeID ?? ""
        self.hasStoreID = storeID != nil
        self.items = items
        self.customer = customer
        self.context = context
        self.consent = consent
    }

    /// Who bought: every field is raw PII.
    public struct Customer: Sendable, Equatable {
        public var id: RawPII?
        public var email: RawPII?
        public var phone: RawPII?
        public var firstName: RawPII?
        public var lastName: RawPII?
        public var dateOfBirth: RawPII?
        public var gender: RawPII?
        public var city: RawPII?
        public var state: RawPII?
        public var postalCode: RawPII?
        public var country: RawPII?

        public init() {}
    }

    /// Browser and click context captured by the storefront: identifiers, treated as PII.
    public struct Context: Sendable, Equatable {
        public var ip: RawPII?
        public var userAgent: RawPII?
        public var pageURL: RawPII?
        public var fbp: RawPII?
        public var fbc: RawPII?
        public var ttclid: RawPII?
        public var ttp: RawPII?
        public var gclid: RawPII?
        public var gbraid: RawPII?
        public var wbraid: RawPII?
        public var epik: RawPII?
        public var scClickID: RawPII?
        public var scCookie1: RawPII?

        public init() {}
    }

    /// The shopper's choices. `nil` means the storefront did not say.
    public struct Consent: Sendable, Equatable {
        public var marketing: Bool?
        public var adUserData: Bool?
        public var adPersonalization: Bool?
        public var limitedDataUse: Bool?

        public init(
            marketing: Bool? = nil, adUserData: Bool? = nil, adPersonalization: Bool? = nil,
            limitedDataUse: Bool? = nil
        ) {
            self.marketing = marketing
            self.adUserData = adUserData
            self.adPersonalization = adPersonalization
            self.limitedDataUse = limitedDataUse
        }
    }
}

// The contract's member names of each nested object, in schema order, and where each one's value
// goes: one table that both decoding paths (the JSON tree and `DirectEventReader`) read, so a
// new member is added in one place. The setters are inlined: the direct reader calls one per
// member on every record, and consume the value (a borrowed one was copied into its field).

extension OrderEvent.Customer {
    /// The `customer` members, in schema order; ``setMember(_:to:)`` takes the same indices.
    static let memberNames: [StaticString] = [
        "id", "email", "phone", "first_name", "last_name", "date_of_birth", "gender", "city", "state", "postal_code",
        "country",
    ]

    /// Sets the field of ``memberNames``[`member`], which must be unset (``storeUnset(_:_:)``).
    @inline(__always)
    mutating func setMember(_ member: Int, to value: consuming RawPII?) {
        switch member {
        case 0: storeUnset(&id, value)
        case 1: storeUnset(&email, value)
        case 2: storeUnset(&phone, value)
        case 3: storeUnset(&firstName, value)
        case 4: storeUnset(&lastName, value)
        case 5: storeUnset(&dateOfBirth, value)
        case 6: storeUnset(&gender, value)
        case 7: storeUnset(&city, value)
        case 8: storeUnset(&state, value)
        case 9: storeUnset(&postalCode, value)
        default: storeUnset(&country, value)
        }
    }
}

extension OrderEvent.Context {
    /// The `context` members, in schema order; ``setMember(_:to:)`` takes the same indices.
    static let memberNames: [StaticString] = [
        "ip", "user_agent", "page_url", "fbp", "fbc", "ttclid", "ttp", "gclid", "gbraid", "wbraid", "epik",
        "sc_click_id", "sc_cookie1",
    ]

    /// Sets the field of ``memberNames``[`member`], which must be unset (``storeUnset(_:_:)``).
    @inline(__always)
    mutating func setMember(_ member: Int, to value: consuming RawPII?) {
        switch member {
        case 0: storeUnset(&ip, value)
        case 1: storeUnset(&userAgent, value)
        case 2: storeUnset(&pageURL, value)
        case 3: storeUnset(&fbp, value)
        case 4: storeUnset(&fbc, value)
        case 5: storeUnset(&ttclid, value)
        case 6: storeUnset(&ttp, value)
        case 7: storeUnset(&gclid, value)
        case 8: storeUnset(&gbraid, value)
        case 9: storeUnset(&wbraid, value)
        case 10: storeUnset(&epik, value)
        case 11: storeUnset(&scClickID, value)
        default: storeUnset(&scCookie1, value)
        }
    }
}

/// Stores `value` in a personal field that is unset: both decoders set each member at most once,
/// on a new value. Stored after the check, the optimizer knows there is no old value to release
/// (a plain assignment called the optional's outlined release for every member); a field set
/// twice is a programming error.
@inline(__always)
func storeUnset(_ field: inout RawPII?, _ value: consuming RawPII?) {
    guard case .none = field else { preconditionFailure("a member of a decoded object is set once") }
    field = value
}

extension OrderEvent.Consent {
    /// The `consent` members, in schema order; ``setMember(_:to:)`` takes the same indices.
    static let memberNames: [StaticString] = ["marketing", "ad_user_data", "ad_personalization", "limited_data_use"]

    /// Sets the field of ``memberNames``[`member`].
    @inline(__always)
    mutating func setMember(_ member: Int, to value: Bool?) {
        switch member {
        case 0: marketing = value
        case 1: adUserData = value
        case 2: adPersonalization = value
        default: limitedDataUse = value
        }
    }
}

/// An instant parsed from an RFC 3339 timestamp.
public struct Timestamp: Sendable, Equatable, Comparable, Hashable {
    /// Seconds since the Unix epoch (UTC), rounded down.
    public var epochSeconds: Int64 {
        didSet { isFormatted = false }
    }
    /// The text, a range of the decoded event's text (no `String` per event).
    private var text: StoredText
    /// Whether `text` is ``RFC3339/format(epochSeconds:)``'s text of `epochSeconds`, as the
    /// decoder found it (`YYYY-MM-DDTHH:MM:SSZ`, upper-case `T` and `Z`): a writer copies it
    /// instead of formatting the time again (``JSONWriter/timestampContents(_:)``). `false` when
    /// not known (a time built in code, or either part changed since).
    private(set) var isFormatted = false

    /// The text as the event carried it.
    public var rfc3339: String {
        get { text.string }
        set {
            text = StoredText(newValue)
            isFormatted = false
        }
    }

    public init(epochSeconds: Int64, rfc3339: String) {
        self.epochSeconds = epochSeconds
        self.text = StoredText(rfc3339)
    }

    /// `formatted`: the caller parsed `epochSeconds` from `text`, which is its formatted text
    /// (``isFormatted``).
    init(epochSeconds: Int64, text: StoredText, formatted: Bool = false) {
        self.epochSeconds = epochSeconds
        self.text = text
        self.isFormatted = formatted
    }

    /// Calls `body` with the text's UTF-8 bytes, valid only during `body`.
    @inline(__always)
    func withText<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        text.withUTF8(body)
    }

    public static func == (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.epochSeconds == rhs.epochSeconds && lhs.text.hasSameBytes(as: rhs.text)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(epochSeconds)
        text.hash(into: &hasher)
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.epochSeconds < rhs.epochSeconds }
}
