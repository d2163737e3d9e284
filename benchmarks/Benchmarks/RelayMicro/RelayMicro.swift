import Benchmark
import Foundation
import RelayCore
import RelayDemo
import RelayDestinations
import RelayPII
import RelayService

/// Micro-benchmarks of the relay's hot path: time and allocations per operation.
/// Run with `make microbench` (`swift package benchmark` in benchmarks/).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.cpuTotal, .wallClock, .mallocCountTotal, .throughput], maxDuration: .seconds(3), maxIterations: 1_000_000)

    let now = Int64(Date().timeIntervalSince1970)
    let generator = SampleOrderGenerator(seed: 7, malformedEvery: 0, nowSeconds: now)
    let orders = (0..<256).map { generator.sample($0).bytes }
    let decoder = OrderEventDecoder()
    let events = orders.map { try! decoder.decode($0) }
    let destinations = offlineDestinations()

    Benchmark("decode an order (JSON → OrderEvent)") { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try decoder.decode(orders[index % orders.count]))
        }
    }

    Benchmark("normalize and hash a customer for all five platforms") { benchmark in
        for index in benchmark.scaledIterations {
            let prepared = PreparedEvent(event: events[index % events.count], eventID: "e", nowSeconds: now)
            for platform in Platform.allCases {
                for field in IdentityField.allCases { blackHole(prepared.identifier(field, for: platform)) }
            }
        }
    }

    for destination in destinations {
        Benchmark("encode one event for \(destination.name)") { benchmark in
            for index in benchmark.scaledIterations {
                let event = events[index % events.count]
                blackHole(destination.encode(PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now)))
            }
        }
    }

    Benchmark("one order through all five encoders (shared normalization)") { benchmark in
        for index in benchmark.scaledIterations {
            let event = events[index % events.count]
            let prepared = PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now)
            for destination in destinations { blackHole(destination.encode(prepared)) }
        }
    }

    for destination in destinations {
        let payloads: [[UInt8]] = events.prefix(100).compactMap { event in
            if case .send(let payload) = destination.encode(PreparedEvent(event: event, eventID: event.orderID, nowSeconds: now)) {
                return payload
            }
            return nil
        }
        Benchmark("build a 100-event \(destination.name) request") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(destination.makeRequest(payloads)) }
        }
    }

    // The three ways to read a request's events as the sandboxes do (JSONTape's doc comment
    // cites these): Meta's `data` field, a JSON array of 1,000 encoded events, parsed, then
    // every event's id and first hashed email read.
    let metaPayloads: [[UInt8]] = (0..<1_000).compactMap { index in
        let event = events[index % events.count]
        let prepared = PreparedEvent(event: event, eventID: "\(event.orderID)-\(index)", nowSeconds: now)
        if case .send(let payload) = destinations[0].encode(prepared) { return payload }
        return nil
    }
    let metaEvents = [UInt8]("[".utf8) + Array(metaPayloads.joined(separator: [UInt8(ascii: ",")])) + [UInt8]("]".utf8)
    Benchmark("read 1,000 Meta events: JSONTape") { benchmark in
        for _ in benchmark.scaledIterations {
            let tape = try JSONTape(parsing: metaEvents, maximumBytes: 64 << 20)
            var bytes = 0
            guard let data = tape.root.array else { continue }
            for event in data {
                bytes &+= event.object?["event_id"]?.stringByteCount ?? 0
                bytes &+= event.object?["user_data"]?.object?["em"]?.array?.first?.stringByteCount ?? 0
            }
            blackHole(bytes)
        }
    }
    Benchmark("read 1,000 Meta events: JSONParser tree") { benchmark in
        for _ in benchmark.scaledIterations {
            guard case .array(let data) = try JSONParser(maximumBytes: 64 << 20).parse(metaEvents) else { continue }
            var bytes = 0
            for case .object(let event) in data {
                if case .string(let id)? = event["event_id"] { bytes &+= id.utf8.count }
                if case .object(let user)? = event["user_data"], case .array(let emails)? = user["em"],
                    case .string(let email)? = emails.first
                {
                    bytes &+= email.utf8.count
                }
            }
            blackHole(bytes)
        }
    }
    Benchmark("read 1,000 Meta events: Foundation JSONSerialization") { benchmark in
        for _ in benchmark.scaledIterations {
            let data = try JSONSerialization.jsonObject(with: Data(metaEvents)) as? [Any]
            var bytes = 0
            for case let event as [String: Any] in data ?? [] {
                bytes &+= (event["event_id"] as? String)?.utf8.count ?? 0
                bytes &+= ((event["user_data"] as? [String: Any])?["em"] as? [String])?.first?.utf8.count ?? 0
            }
            blackHole(bytes)
        }
    }

    Benchmark("offset frontier: track and settle 1,000 offsets out of order") { benchmark in
        for _ in benchmark.scaledIterations {
            var frontier = PartitionFrontier()
            for offset in 0..<1_000 { frontier.track(offset: Int64(offset), settlements: 2) }
            for offset in stride(from: 999, through: 0, by: -1) {
                _ = frontier.settle(offset: Int64(offset))
                _ = frontier.settle(offset: Int64(offset))
            }
            blackHole(frontier.committableOffset)
        }
    }
}
