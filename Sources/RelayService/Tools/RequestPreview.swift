import RelayCore
import RelayDestinations
import RelayHTTP
import RelayInput

/// `conversion-relay preview`: the exact HTTP request each enabled destination would send for one
/// event, with every secret replaced by `<redacted>`. Sends nothing. The event is read in the
/// configured `input` format (mapped to the native contract first, as the relay does).
public enum RequestPreview {
    public static func render(
        configuration: RelayConfiguration, eventBytes: [UInt8], nowSeconds: Int64
    ) throws(OrderEventDecodingError) -> String {
        let event: OrderEvent
        if let input = configuration.input.decoder {
            event = try input.decode(eventBytes)
        } else {
            event = try OrderEventDecoder().decode(eventBytes)
        }
        let eventID = configuration.eventIDTemplate.eventID(for: event)
        let prepared = PreparedEvent(event: event, eventID: eventID, nowSeconds: nowSeconds)
        var output = "event_id: \(eventID) (order \(event.orderID))\n"
        if configuration.input.format != .native { output += "input: \(configuration.input.format.rawValue)\n" }
        for destination in configuration.destinations.makeDestinations() {
            output += "\n=== \(destination.name) ===\n"
            switch destination.encode(prepared) {
            case .exclude(let exclusion):
                output += "not sent: \(exclusion.reason) (\(exclusion.detail))"
                output += exclusion.deadLetter ? "; would go to the dead-letter topic\n" : "\n"
            case .send(let payload):
                var request = destination.makeRequest([payload])
                if destination is GoogleDestination {
                    request.headers.append(("Authorization", "Bearer <redacted>"))  // fetched at send time
                }
                let redacted = destination.redacted(request)
                output += "\(redacted.method) \(redacted.url)\n"
                for header in redacted.headers { output += "\(header.name): \(header.value)\n" }
                output += "\n" + String(decoding: redacted.body, as: UTF8.self) + "\n"
            }
        }
        return output
    }
}
