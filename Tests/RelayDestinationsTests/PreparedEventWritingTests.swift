import Foundation
import RelayCore
import RelayDestinations
import RelayPII
import Testing

/// What `PreparedEvent` decides once per event for the five encoders: each identifier's wire value
/// (a digest's hexadecimal digits formatted once and copied) and whether the event's ids need
/// escaping (checked once, not scanned per platform).
@Suite struct PreparedEventWritingTests {
    /// `text` as a JSON string's contents, escaped by the writer's own scan.
    static func contents(_ text: String) -> String {
        var writer = JSONWriter()
        writer.stringContents(text)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    /// Every (field, platform) pair, asked in either order and twice: what is written is the
    /// identifier's wire value (hashed: the digest's hex; plain: the value escaped), and nothing
    /// when there is none to send.
    @Test(arguments: ["full", "us-customer-offset-time", "hashed-email", "minimal"])
    func wireValuesAreWrittenAsTheirText(example: String) throws {
        let event = try loadExample(example)
        let pairs = IdentityField.allCases.flatMap { field in Platform.allCases.map { (field, $0) } }
        var hashed = 0
        for order in [pairs, pairs.reversed()] {
            let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: 1_795_688_200)
            for (field, platform) in order + order {
                let expected = prepared.identifier(field, for: platform)?.wireValue
                var writer = JSONWriter(reservingCapacity: 8)
                writer.fragment("<")
                let wrote = prepared.writeWireValue(field, for: platform, into: &writer)
                writer.fragment(">")
                #expect(wrote == (expected != nil), "\(field) for \(platform)")
                #expect(String(decoding: writer.bytes, as: UTF8.self) == "<" + (expected.map(Self.contents) ?? "") + ">", "\(field) for \(platform)")
                #expect(prepared.hasWireValue(field, for: platform) == (expected != nil))
                if prepared.identifier(field, for: platform)?.transmission == .sha256 { hashed += 1 }
            }
        }
        #expect(hashed > 0 || example == "minimal", "the examples but the minimal one carry hashed identifiers")
    }

    /// Customers whose rules of one field give the same value on some platforms and different
    /// ones on others (a Gmail address, a name of two words, a postal code with a space, a Chinese
    /// phone number for TikTok): each platform's digits are its own digest's, whichever platform
    /// asked first (digits are copied between slots of a field only when the digests are equal).
    @Test(arguments: [
        ("J.Doe+promo@gmail.com", "Anna Maria", "O'Neil", "SW1A 1AA", "+86 138 0013 8000"),
        ("jane@example.com", "Anna", "Smith", "94105", "+1 415 555 0100"),
        ("JANE@EXAMPLE.COM", "Mrs. Zoë", "van der Berg", "10115", "+49 30 901820"),
    ])
    func digitsAreEachSlotsOwnDigest(email: String, firstName: String, lastName: String, postalCode: String, phone: String) throws {
        var event = try loadExample("full")
        event.customer.email = RawPII(email)
        event.customer.firstName = RawPII(firstName)
        event.customer.lastName = RawPII(lastName)
        event.customer.postalCode = RawPII(postalCode)
        event.customer.phone = RawPII(phone)
        for platforms in Platform.rotations {
            let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: 1_795_688_200)
            for platform in platforms {
                for field in IdentityField.allCases {
                    guard let digits = prepared.identifier(field, for: platform)?.sha256 else { continue }
                    var writer = JSONWriter(reservingCapacity: 64)
                    #expect(prepared.writeWireValue(field, for: platform, into: &writer))
                    #expect(String(decoding: writer.bytes, as: UTF8.self) == digits, "\(field) for \(platform)")
                }
            }
        }
    }

    /// Plain wire values (TikTok's city, state and country, Google's region and postal code) are
    /// copied as they are when they have nothing to escape and escaped when they have: either way
    /// the text is the value's as the writer's own scan escapes it.
    @Test(arguments: [
        ("Paris", "IDF", "FR", "75001"), (#"Saint "Quoted" \ City"#, #"St\ate "x""#, "US", #"94 "105""#),
        ("Zürich\tTown", "ZH", "ch", "8001\n2"), ("", " ", "  ", ""), ("Llanfairpwllgwyngyll", "Noord", "NL", #"ABCDEFGHIJKLMNO""#),
        ("Aabbccddeeffgghh", "Bayern", "DE", #"A"CDEFGHIJKLMNOP"#),
    ])
    func plainWireValuesAreEscapedWhereTheyNeedIt(city: String, state: String, country: String, postalCode: String) throws {
        var event = try loadExample("full")
        event.customer.city = RawPII(city)
        event.customer.state = RawPII(state)
        event.customer.country = RawPII(country)
        event.customer.postalCode = RawPII(postalCode)
        let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: 1_795_688_200)
        for platform in Platform.allCases {
            for field in [IdentityField.city, .state, .country, .postalCode] {
                guard let identifier = prepared.identifier(field, for: platform), identifier.transmission == .plain,
                    let expected = identifier.wireValue
                else { continue }
                var writer = JSONWriter(reservingCapacity: 8)
                writer.fragment("<")
                #expect(prepared.writeWireValue(field, for: platform, into: &writer))
                writer.fragment(">")
                #expect(String(decoding: writer.bytes, as: UTF8.self) == "<" + Self.contents(expected) + ">", "\(field) for \(platform)")
            }
        }
    }

    /// Ids that need escaping (a quote, a backslash, a control character) come out escaped on
    /// every platform, and plain ones as they are: the JSON parses back to the ids.
    @Test(arguments: [
        ("ORD-1001", "evt-1001"), (#"ORD "1001""#, #"evt\1001"#), ("ORD\n1001", "evt\u{1}1001"), ("Bestellung-é", "ORD-1001"),
        ("ORD-1001", "ORD-1001"), (#"ORD "1001""#, #"ORD "1001""#), ("ORD-1001", #"evt "1001""#), (#"ORD "1001""#, "evt-1001"),
        // Around the 32 bytes an id is held in line up to (`ShortText`).
        (String(repeating: "7", count: 32), String(repeating: "e", count: 33)),
        (String(repeating: "7", count: 33), String(repeating: "e", count: 31)),
        (String(repeating: "7", count: 32), String(repeating: "7", count: 32)),
        (String(repeating: "7", count: 33), String(repeating: "7", count: 33)),
        (String(repeating: "7", count: 31) + "\"", String(repeating: "e", count: 32)),
    ])
    func idsAreEscapedWhereTheyNeedIt(orderID: String, eventID: String) throws {
        var event = try loadExample("full")
        event.orderID = orderID
        for destination in destinations() {
            let prepared = PreparedEvent(event: event, eventID: eventID, nowSeconds: event.occurredAt.epochSeconds + 60)
            guard case .send(let bytes) = destination.encode(prepared) else {
                Issue.record("\(destination.name) excluded the full example")
                continue
            }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.contains("\"" + Self.contents(eventID) + "\""), "\(destination.name)")
            let document = try JSONParser().parse(bytes)
            #expect(Self.strings(in: document).contains(eventID), "\(destination.name)")
            if destination.name != "google" {
                #expect(Self.strings(in: document).contains(orderID), "\(destination.name)")
            }
        }
    }

    /// Where each ``ContextField`` lives in the event.
    static var contextFields: [(ContextField, WritableKeyPath<OrderEvent.Context, RawPII?>)] {[
        (.ip, \.ip), (.userAgent, \.userAgent), (.pageURL, \.pageURL), (.fbp, \.fbp), (.fbc, \.fbc), (.ttclid, \.ttclid),
        (.ttp, \.ttp), (.gclid, \.gclid), (.gbraid, \.gbraid), (.wbraid, \.wbraid), (.epik, \.epik),
        (.scClickID, \.scClickID), (.scCookie1, \.scCookie1),
    ]}

    /// Each context field, alone in the event, is written as ``PreparedEvent/raw(_:)`` gives it
    /// (trimmed of spaces), escaped, between its member and closing, twice alike (the second time
    /// from what the first use worked out); the other fields write nothing.
    @Test(arguments: [
        "IwAR2xYz.1", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)", "  padded ", #"a "quoted" \ value"#,
        " \"both\" ", "line\nbreak", "é-ü", "   ", "", nil,
    ] as [String?])
    func contextValuesAreWrittenAsSent(value: String?) throws {
        #expect(Self.contextFields.map(\.0) == ContextField.allCases)
        let base = try loadExample("minimal")
        for (field, keyPath) in Self.contextFields {
            var event = base
            for (_, other) in Self.contextFields { event.context[keyPath: other] = nil }
            event.context[keyPath: keyPath] = value.map(RawPII.init)
            let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds)
            let sent = prepared.raw(value.map(RawPII.init))?.unredactedValue
            #expect(prepared.hasContext(field) == (sent != nil), "\(field)")
            for _ in 0..<2 {
                for (other, _) in Self.contextFields {
                    var writer = JSONWriter(reservingCapacity: 8)
                    let wrote = prepared.writeContext(other, member: "<", closing: ">", into: &writer)
                    let expected = other == field ? sent.map { "<" + Self.contents($0) + ">" } : nil
                    #expect(wrote == (expected != nil), "\(other) with \(field) set")
                    #expect(String(decoding: writer.bytes, as: UTF8.self) == (expected ?? ""), "\(other) with \(field) set")
                }
            }
        }
    }

    /// Item strings that need escaping, in any of the first items (checked once per event) and
    /// past them (escaped as written), come out escaped on every platform that sends them, and
    /// plain ones as they are: the JSON parses back to every SKU, and to each name, category and
    /// brand a platform sends.
    @Test func itemStringsAreEscapedWhereTheyNeedIt() throws {
        var event = try loadExample("full")
        let template = try #require(event.items.first)
        event.items = (0..<20).map { index in
            var item = template
            let special = index % 5 == 1 ? "\"" : index % 5 == 3 ? "\\" : ""
            item.sku = "SKU-\(index)" + (index % 4 == 0 ? special : "")
            item.name = "name \(index)" + (index % 4 == 1 ? special : "")
            item.category = index == 7 ? nil : "category\n\(index)" + (index % 4 == 2 ? special : "")
            item.brand = "brand \(index)" + (index % 4 == 3 || index >= 15 ? special : "")
            return item
        }
        for destination in destinations() {
            let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds + 60)
            guard case .send(let bytes) = destination.encode(prepared) else {
                Issue.record("\(destination.name) excluded the example")
                continue
            }
            let sent = Set(Self.strings(in: try JSONParser().parse(bytes)))
            for item in event.items {
                #expect(sent.contains(item.sku), "\(destination.name)")
                #expect(item.brand.map(sent.contains) ?? true || destination.name == "google", "\(destination.name)")
                if ["tiktok", "pinterest"].contains(destination.name) { #expect(item.name.map(sent.contains) ?? true) }
                if ["meta", "tiktok", "pinterest"].contains(destination.name) { #expect(item.category.map(sent.contains) ?? true) }
            }
        }
    }

    /// Decoded item strings written with escapes in the record (resolved, then escaped again only
    /// where they need it) and without (copied from the record) give every platform the bytes the
    /// same items built from `String`s give, and Meta's contents are pinned byte for byte.
    @Test func decodedItemStringsAreWrittenAsBuiltOnes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var text = try String(contentsOf: root.appendingPathComponent("schemas/examples/valid/full.json"), encoding: .utf8)
        for (plain, escaped) in [
            (#""SKU-SHOE-03""#, #""SKU-\"SHOE\"-03""#), (#""Trail Runner""#, #""Trail\nRunner \u00e9""#),
            (#""Fleet""#, #""Fl\\eet""#), (#""Apparel""#, #""App\u0061rel""#),
            (#""Wool Socks""#, #""Wool Socks, a name longer than fifteen bytes""#),
        ] {
            text = text.replacingOccurrences(of: plain, with: escaped)
        }
        let decoded = try OrderEventDecoder().decode(Array(text.utf8))
        var built = decoded
        built.items = decoded.items.map {
            OrderEvent.Item(sku: $0.sku, name: $0.name, category: $0.category, brand: $0.brand, quantity: $0.quantity, price: $0.price)
        }
        #expect(decoded.items.map(\.sku) == ["SKU-\"SHOE\"-03", "SKU-SOCK-05"])
        for destination in destinations() {
            var payloads: [[UInt8]] = []
            for event in [decoded, built] {
                let prepared = PreparedEvent(event: event, eventID: "x", nowSeconds: event.occurredAt.epochSeconds + 60)
                guard case .send(let bytes) = destination.encode(prepared) else {
                    Issue.record("\(destination.name) excluded the example")
                    continue
                }
                payloads.append(bytes)
            }
            #expect(payloads.count == 2 && payloads[0] == payloads[1], "\(destination.name)")
            if destination.name == "meta", let payload = payloads.first {
                let contents =
                    #","contents":[{"id":"SKU-\"SHOE\"-03","quantity":1,"item_price":99.95,"brand":"Fl\\eet","category":"Shoes"},"#
                    + #"{"id":"SKU-SOCK-05","quantity":3,"item_price":9.95,"brand":"Acme","category":"Apparel"}]"#
                #expect(String(decoding: payload, as: UTF8.self).contains(contents))
            }
        }
    }

    static func strings(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text): [text]
        case .array(let elements): elements.flatMap(strings(in:))
        case .object(let object): object.members.flatMap { strings(in: $0.value) }
        default: []
        }
    }
}
