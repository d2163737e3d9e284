@testable import RelayCore
import Testing

/// `OrderEvent.storeID` is stored as a string and a flag (an optional string among the stored
/// properties made the optimiser copy every new event): it must still behave as a `String?`.
@Suite struct OrderEventTests {
    static func event(storeID: String?) -> OrderEvent {
        OrderEvent(
            orderID: "A-1", occurredAt: Timestamp(epochSeconds: 0, rfc3339: "1970-01-01T00:00:00Z"), currency: "EUR",
            value: JSONNumber(1), storeID: storeID)
    }

    @Test(arguments: [nil, "", "shop-1"] as [String?])
    func theStoreIDReadsBackAsItWasSet(storeID: String?) {
        #expect(Self.event(storeID: storeID).storeID == storeID)
        var event = Self.event(storeID: "other")
        event.storeID = storeID
        #expect(event.storeID == storeID)
        // Equal events whichever way the value got there.
        #expect(event == Self.event(storeID: storeID))
    }

    @Test func anAbsentStoreIDDiffersFromAnEmptyOne() {
        #expect(Self.event(storeID: nil) != Self.event(storeID: ""))
        var cleared = Self.event(storeID: "shop-1")
        cleared.storeID = nil
        #expect(cleared == Self.event(storeID: nil))
        #expect(cleared.storeID == nil)
    }
    /// The decoders set each personal member once, on a new value (`storeUnset`): every member
    /// of the customer and the context reads back what it was set to, and setting one twice
    /// stops the process rather than drop a value silently.
    @Test func personalMembersAreSetOnce() async {
        var customer = OrderEvent.Customer()
        for member in OrderEvent.Customer.memberNames.indices { customer.setMember(member, to: RawPII("c\(member)")) }
        #expect(
            [customer.id, customer.email, customer.phone, customer.firstName, customer.lastName, customer.dateOfBirth,
             customer.gender, customer.city, customer.state, customer.postalCode, customer.country]
                == OrderEvent.Customer.memberNames.indices.map { RawPII("c\($0)") })
        var context = OrderEvent.Context()
        for member in OrderEvent.Context.memberNames.indices { context.setMember(member, to: member == 2 ? nil : RawPII("x\(member)")) }
        #expect(
            [context.ip, context.userAgent, context.pageURL, context.fbp, context.fbc, context.ttclid, context.ttp,
             context.gclid, context.gbraid, context.wbraid, context.epik, context.scClickID, context.scCookie1]
                == OrderEvent.Context.memberNames.indices.map { $0 == 2 ? nil : RawPII("x\($0)") })
        await #expect(processExitsWith: .failure) {
            var customer = OrderEvent.Customer()
            customer.setMember(1, to: RawPII("first"))
            customer.setMember(1, to: RawPII("second"))
        }
        await #expect(processExitsWith: .failure) {
            var context = OrderEvent.Context()
            context.setMember(12, to: RawPII("first"))
            context.setMember(12, to: nil)
        }
    }
}
