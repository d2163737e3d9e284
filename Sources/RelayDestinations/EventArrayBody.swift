/// Joins already-encoded event objects into a request body without re-encoding them:
/// `prefix` + `[e1,e2,…]` + `suffix`.
enum EventArrayBody {
    static func make(_ events: [[UInt8]], prefix: String, suffix: String) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(events.reduce(prefix.utf8.count + suffix.utf8.count + 2) { $0 + $1.count + 1 })
        body.append(contentsOf: prefix.utf8)
        body.append(UInt8(ascii: "["))
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: event)
        }
        body.append(UInt8(ascii: "]"))
        body.append(contentsOf: suffix.utf8)
        return body
    }
}
