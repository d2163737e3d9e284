/// Builds the deduplication event id from an order, the same for every destination.
///
/// The id must equal what the browser pixel sends (Meta `eventID`, TikTok `event_id`, Pinterest
/// `event_id`, Snapchat `client_dedup_id`, Google tag `transaction_id`), so it is a pure function of
/// the order: placeholders `{order_id}` and `{store_id}` (empty when absent) are replaced by the
/// event's fields and everything else is copied. The default, `{order_id}`, lets the storefront's
/// pixel snippet use the order id it already has:
///
/// ```js
/// fbq('track', 'Purchase', {value: 129.9, currency: 'EUR'}, {eventID: order.id});
/// ```
public struct EventIDTemplate: Sendable, Equatable, CustomStringConvertible {
    private enum Part: Sendable, Equatable {
        case literal(String)
        case orderID
        case storeID
    }

    private let parts: [Part]
    public let description: String

    /// The default: the order id itself.
    public static let orderID = try! EventIDTemplate("{order_id}")

    /// Why a template is unusable.
    public struct InvalidTemplate: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    public init(_ template: String) throws(InvalidTemplate) {
        description = template
        var parts: [Part] = []
        var remainder = Substring(template)
        while let open = remainder.firstIndex(of: "{") {
            if open > remainder.startIndex { parts.append(.literal(String(remainder[..<open]))) }
            guard let close = remainder[open...].firstIndex(of: "}") else {
                throw InvalidTemplate(description: "unclosed '{' in event id template")
            }
            let name = remainder[remainder.index(after: open)..<close]
            switch name {
            case "order_id": parts.append(.orderID)
            case "store_id": parts.append(.storeID)
            default:
                throw InvalidTemplate(
                    description: "unknown placeholder {\(name)} in event id template (use {order_id}, {store_id})")
            }
            remainder = remainder[remainder.index(after: close)...]
        }
        if !remainder.isEmpty { parts.append(.literal(String(remainder))) }
        guard parts.contains(.orderID) else {
            throw InvalidTemplate(description: "event id template must contain {order_id}")
        }
        self.parts = parts
    }

    public func eventID(for event: OrderEvent) -> String {
        if parts.count == 1 { return event.orderID }
        var result = ""
        for part in parts {
            switch part {
            case .literal(let text): result += text
            case .orderID: result += event.orderID
            case .storeID: result += event.storeID ?? ""
            }
        }
        return result
    }
}
