import RelayCore
import Testing

/// A writer given its first storage by its caller (``JSONWriter/init(borrowing:capacity:)``): it
/// writes the same bytes as a writer of its own storage, moves to storage of its own when it needs
/// more (the caller's bytes past the capacity never touched), and frees only that.
@Suite struct JSONWriterBorrowingTests {
    @Test(arguments: [0, 1, 63, 64, 65, 200, 4096])
    func aBorrowingWriterWritesAsAnOwningOne(capacity: Int) {
        let guardBytes = 64
        let room = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + guardBytes)
        defer { room.deallocate() }
        room.initialize(repeating: 0xA5, count: capacity + guardBytes)
        for round in 0..<3 {
            var owning = JSONWriter(reservingCapacity: 8)
            var borrowing = JSONWriter(borrowing: room, capacity: capacity)
            for index in 0..<(40 * (round + 1)) {
                owning.fragment(",\"k\":")
                borrowing.fragment(",\"k\":")
                owning.stringContents("value \(index) \"q\"")
                borrowing.stringContents("value \(index) \"q\"")
            }
            #expect(borrowing.bytes == owning.bytes)
            borrowing.reset()
            borrowing.fragment("{}")
            #expect(borrowing.bytes == Array("{}".utf8))
        }
        #expect(UnsafeBufferPointer(start: room + capacity, count: guardBytes).allSatisfy { $0 == 0xA5 })
    }
}
