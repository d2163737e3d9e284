@testable import RelayKafka
import Testing

/// Polled records share their topic's `String` instead of allocating one each.
@Suite struct TopicNameCacheTests {
    private static func storage(_ name: String) -> UnsafeRawPointer? {
        name.utf8.withContiguousStorageIfAvailable { UnsafeRawPointer($0.baseAddress) } ?? nil
    }

    @Test func aLongNameSeenAgainIsTheKeptStringNotANewOne() {
        var cache = TopicNameCache()
        let first = cache.name("orders-bench-200000")
        let again = cache.name("orders-bench-200000")
        #expect(first == "orders-bench-200000" && again == first)
        // The same heap buffer: no allocation for the second record.
        #expect(Self.storage(first) != nil && Self.storage(again) == Self.storage(first))
        #expect(cache.names == ["orders-bench-200000"])
    }

    @Test func namesThatShareAPrefixOrALengthAreTold() {
        var cache = TopicNameCache()
        #expect(cache.name("orders-bench-200000") == "orders-bench-200000")
        #expect(cache.name("orders-bench-2000000") == "orders-bench-2000000")
        #expect(cache.name("orders-bench-20000") == "orders-bench-20000")
        #expect(cache.name("orders-bench-100000") == "orders-bench-100000")
        #expect(cache.name("orders-bench-200000") == "orders-bench-200000")
        #expect(cache.names.count == 4)
    }

    @Test func keepsAtMostItsCapacityDroppingTheOldest() {
        var cache = TopicNameCache()
        for index in 0...TopicNameCache.capacity { _ = cache.name("topic-with-a-long-name-\(index)") }
        #expect(cache.names.count == TopicNameCache.capacity)
        #expect(cache.names.first == "topic-with-a-long-name-1")
        #expect(cache.name("topic-with-a-long-name-0") == "topic-with-a-long-name-0")
    }
}
