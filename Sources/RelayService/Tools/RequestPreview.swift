import RelayCore
import RelayDestinations
import RelayHTTP

/// `conversion-relay preview`: the exact HTTP request each enabled destination would send for one
/// event, with every secret replaced by `<redacted>`. Sends nothing.
public enum RequestPreview {
    public static func render(
        configuration: RelayConfiguration, eventBytes: [UInt8], nowSeconds: Int64
    ) throws(OrderEventDecodingError) -> String {
        let event = try OrderEventDecoder().decode(eventBytes)
        let eventID = configuration.eventIDTemplate.eventID(for: event)
        let prepared = PreparedEvent(event: event, eventID: eventID, nowSeconds: nowSeconds)
        var output = "event_id: \(eventID) (order \(event.orderID))\n"
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
