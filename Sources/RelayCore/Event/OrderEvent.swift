/// An `order.completed` event, version 1, as `schemas/order-completed.v1.json` defines it.
///
/// Every personal field is a ``RawPII`` so the event can be logged by its ``orderID`` only.
public struct OrderEvent: Sendable, Equatable {
    public var orderID: String
    public var occurredAt: Timestamp
    public var currency: String
    public var value: JSONNumber
    public var storeID: String?
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
        self.storeID = storeID
        self.items = items
        self.customer = customer
        self.context = context
        self.consent = consent
    }

    /// One line item.
    public struct Item: Sendable, Equatable {
        public var sku: String
        public var name: String?
        public var category: String?
        public var brand: String?
        public var quantity: Int64
        public var price: JSONNumber

        public init(
            sku: String, name: String? = nil, category: String? = nil, brand: String? = nil, quantity: Int64,
            price: JSONNumber
        ) {
            self.sku = sku
            self.name = name
            self.category = category
            self.brand = brand
            self.quantity = quantity
            self.price = price
        }
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

/// An instant parsed from an RFC 3339 timestamp.
public struct Timestamp: Sendable, Equatable, Comparable, Hashable {
    /// Seconds since the Unix epoch (UTC), rounded down.
    public var epochSeconds: Int64
    /// The text as the event carried it.
    public var rfc3339: String

    public init(epochSeconds: Int64, rfc3339: String) {
        self.epochSeconds = epochSeconds
        self.rfc3339 = rfc3339
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.epochSeconds < rhs.epochSeconds }
}
