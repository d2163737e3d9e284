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
}
