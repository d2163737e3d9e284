@testable import RelayKafka
import Testing

/// Records of one topic share one name string; names stay what librdkafka spelled.
@Suite struct TopicNamesTests {
    /// Where a string's bytes are (its storage, for a name too long to be held inline).
    private func storage(_ name: String) -> UnsafeRawPointer {
        name.withCString { UnsafeRawPointer($0) }
    }

    @Test func aTopicsRecordsShareOneStringOfItsName() {
        let names = TopicNames()
        let long = "shop.orders.completed.v2"
        let first = long.withCString { names.name($0) }
        let second = String(long).withCString { names.name($0) }
        #expect(first == long && second == long)
        #expect(storage(first) == storage(second), "the same string, not a second allocation")
        let other = "shop.orders.completed.retry".withCString { names.name($0) }
        #expect(other == "shop.orders.completed.retry")
        #expect(storage(other) != storage(first))
        #expect("orders".withCString { names.name($0) } == "orders")
        #expect(long.withCString { names.name($0) } == long, "still found after others")
    }

    @Test func pastItsCapacityNamesAreStillRight() {
        let names = TopicNames()
        for index in 0..<(TopicNames.capacity + 5) {
            let topic = "a-rather-long-topic-name-\(index)"
            #expect(topic.withCString { names.name($0) } == topic)
        }
        let topic = "a-rather-long-topic-name-\(TopicNames.capacity + 2)"
        #expect(topic.withCString { names.name($0) } == topic)
    }
}
