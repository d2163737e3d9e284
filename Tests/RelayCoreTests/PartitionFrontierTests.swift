import RelayCore
import Testing

@Suite struct PartitionFrontierTests {
    @Test func neverPassesAnUnsettledOffset() {
        var frontier = PartitionFrontier()
        for offset in Int64(10)..<15 { frontier.track(offset: offset, settlements: 2) }
        #expect(frontier.committableOffset == 10)
        // Offset 11 fully settled, 10 only half: frontier stays at 10.
        frontier.settle(offset: 11)
        frontier.settle(offset: 11)
        frontier.settle(offset: 10)
        #expect(frontier.committableOffset == 10)
        // 10 settles: frontier jumps over 10 and 11 to 12.
        let advanced = frontier.settle(offset: 10)
        #expect(advanced)
        #expect(frontier.committableOffset == 12)
        for offset in Int64(12)..<15 {
            frontier.settle(offset: offset)
            frontier.settle(offset: offset)
        }
        #expect(frontier.committableOffset == 15)
        #expect(frontier.pendingCount == 0)
    }

    @Test func offsetsWithNothingToSendSettleAtOnceAndGapsAreFine() {
        var frontier = PartitionFrontier()
        frontier.track(offset: 3, settlements: 0)
        #expect(frontier.committableOffset == 4)
        frontier.track(offset: 7, settlements: 1)  // 4...6 were compaction gaps
        frontier.track(offset: 9, settlements: 0)
        #expect(frontier.committableOffset == 7)
        frontier.settle(offset: 7)
        #expect(frontier.committableOffset == 10)
    }

    @Test func lateOrRepeatedSettlementsCannotMoveIt() {
        var frontier = PartitionFrontier()
        frontier.track(offset: 0, settlements: 1)
        frontier.track(offset: 1, settlements: 1)
        let first = frontier.settle(offset: 0)
        let repeated = frontier.settle(offset: 0)
        let unknown = frontier.settle(offset: 42)
        #expect(first)
        #expect(!repeated)  // repeated ack
        #expect(!unknown)  // never tracked
        #expect(frontier.committableOffset == 1)
        #expect(frontier.isPending(offset: 1))
    }

    @Test func randomSettlementOrderMatchesAReferenceModel() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var frontier = PartitionFrontier()
            var remaining: [Int64: Int] = [:]
            var offset: Int64 = 0
            for _ in 0..<200 {
                offset += Int64.random(in: 1...3, using: &generator)
                let count = Int.random(in: 0...3, using: &generator)
                frontier.track(offset: offset, settlements: count)
                if count > 0 { remaining[offset] = count }
            }
            var pending = remaining.flatMap { key, count in Array(repeating: key, count: count) }.shuffled(using: &generator)
            while !pending.isEmpty {
                let next = pending.removeLast()
                frontier.settle(offset: next)
                remaining[next]! -= 1
                if remaining[next] == 0 { remaining[next] = nil }
                let expected = remaining.keys.min() ?? offset + 1
                #expect(frontier.committableOffset == expected)
            }
        }
    }
    /// Runs without gaps (where an offset's place is found directly) mixed with gaps (where it is
    /// searched for), and settlements of offsets that are not pending (in a gap, settled, below
    /// or past everything tracked): those change nothing and return `false`.
    @Test func findsOffsetsWithAndWithoutGapsAndIgnoresOthers() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var frontier = PartitionFrontier()
            var remaining: [Int64: Int] = [:]
            var offset: Int64 = 100
            for _ in 0..<300 {
                offset += Bool.random(using: &generator) ? 1 : Int64.random(in: 1...4, using: &generator)
                let count = Int.random(in: 0...2, using: &generator)
                frontier.track(offset: offset, settlements: count)
                if count > 0 { remaining[offset] = count }
            }
            for _ in 0..<2_000 {
                let candidate = Int64.random(in: 90...(offset + 10), using: &generator)
                let committable = frontier.committableOffset
                let moved = frontier.settle(offset: candidate)
                if let count = remaining[candidate] {
                    remaining[candidate] = count == 1 ? nil : count - 1
                } else {
                    #expect(!moved && frontier.committableOffset == committable, "offset \(candidate) is not pending")
                }
                let expected = remaining.keys.min() ?? offset + 1
                #expect(frontier.committableOffset == expected)
                #expect(moved == (frontier.committableOffset != committable))
                #expect(frontier.isPending(offset: candidate) == (remaining[candidate] != nil))
            }
        }
    }
}
