import RelayCore
import RelayDemo
import RelayDestinations
import RelayHTTP
import Testing

/// The relay encodes a run of events for one destination one after another into one block
/// (``PayloadBlock``), each payload a slice of it; an excluded event leaves nothing behind. Over
/// the sample orders, every slice holds the bytes `encode(_:)` gives for its event alone, the
/// exclusions are the same, and the block holds nothing but the slices. Every seventh order is
/// stripped to a city, a country and a browser: Meta and Google exclude it only after writing
/// part of it (too weak to match; nothing to match on), and what they wrote must go.
@Suite struct EncodeIntoBlockTests {
    @Test func slicesOfOneBlockAreTheEventsEncodedAlone() throws {
        let now: Int64 = 1_796_083_200
        let generator = SampleOrderGenerator(seed: 11, malformedEvery: 0, nowSeconds: now)
        let decoder = OrderEventDecoder()
        let destinations = offlineDestinations()
        for destination in destinations {
            let block = PayloadBlock(reservingCapacity: 64)
            var slices: [PayloadSlice] = []
            var excluded = 0
            for index in 0..<300 {
                var event = try decoder.decode(generator.sample(index).bytes)
                if index % 7 == 3 { Self.keepOnlyWeakIdentifiers(&event) }
                let alone = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now + 60)
                let inBlock = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now + 60)
                let start = block.writer.count
                let exclusion = destination.encode(inBlock, into: &block.writer)
                switch destination.encode(alone) {
                case .send(let payload):
                    #expect(exclusion == nil, "\(destination.name) \(index)")
                    let slice = PayloadSlice(block, offset: start, count: block.writer.count - start)
                    #expect(slice.bytes == payload, "\(destination.name) \(index)")
                    slices.append(slice)
                case .exclude(let expected):
                    excluded += 1
                    #expect(exclusion == expected, "\(destination.name) \(index)")
                    #expect(block.writer.count == start, "\(destination.name) \(index): an excluded event leaves no bytes")
                }
            }
            #expect(slices.count > 200, "\(destination.name)")
            #expect(excluded >= 300 / 7, "\(destination.name): the stripped orders are excluded")
            #expect(block.writer.count == slices.reduce(0) { $0 + $1.count })
            // A request built from the slices is the request built from the payloads alone.
            let request = destination.makeRequest(slices)
            #expect(request.body == destination.makeRequest(slices.map(\.bytes)).body)
        }
    }

    /// Leaves a customer's city and country and the browser's user agent and page: too weak for
    /// Meta, nothing for Google to match on.
    static func keepOnlyWeakIdentifiers(_ event: inout OrderEvent) {
        let customer = event.customer
        event.customer = OrderEvent.Customer()
        event.customer.city = customer.city ?? RawPII("Berlin")
        event.customer.country = customer.country ?? RawPII("DE")
        let context = event.context
        event.context = OrderEvent.Context()
        event.context.userAgent = context.userAgent ?? RawPII("Mozilla/5.0")
        event.context.pageURL = context.pageURL ?? RawPII("https://shop.example/checkout")
    }
}
