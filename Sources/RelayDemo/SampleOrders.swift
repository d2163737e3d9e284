import RelayCore

/// A seeded generator of realistic `order.completed` events (and some malformed ones), for the
/// demo, tests and benchmarks. The same seed gives the same orders (timestamps are relative to
/// `nowSeconds`).
public struct SampleOrderGenerator: Sendable {
    public struct Sample: Sendable {
        public var bytes: [UInt8]
        public var orderID: String
        public var isValid: Bool
        /// False when the order says `consent.marketing: false` (no platform may receive it).
        public var marketingConsent: Bool
        /// Raw personal values this order carries (emails, phones, names, addresses, IPs), so a test
        /// can prove none of them reaches a log line.
        public var personalValues: [String]
    }

    public var seed: UInt64
    /// Every `malformedEvery`-th order is malformed (0 = none). Every 17th valid order has
    /// `consent.marketing: false`, every 13th refuses ad personalisation, every 11th asks for
    /// limited data use.
    public var malformedEvery: Int
    public var nowSeconds: Int64

    public init(seed: UInt64 = 42, malformedEvery: Int = 25, nowSeconds: Int64) {
        self.seed = seed
        self.malformedEvery = malformedEvery
        self.nowSeconds = nowSeconds
    }

    static let firstNames = ["Zoë", "José", "François", "Björn", "Ana", "Łukasz", "Siobhán", "Mary-Jane", "Chloé", "Mohammed", "Aiko", "Søren", "Renée", "Jürgen", "Olivia", "Liam"]
    static let lastNames = ["O'Brien", "García", "Müller", "Dubois", "Nakamura", "Smith", "van der Berg", "Kowalski", "Ødegård", "Núñez", "Johnson", "Rossi"]
    struct Market {
        let country: String
        let currency: String
        let cities: [(String, String, String)]  // city, state, postal
        let phones: [String]  // formats with # for digits
    }
    static let markets: [Market] = [
        Market(country: "US", currency: "USD", cities: [("San Francisco", "California", "94105"), ("New York", "NY", "10001-1234"), ("Austin", "Texas", "73301")],
               phones: ["(###) 555-0###", "+1 ###-555-0###", "###.555.0###", "1-###-555-0###"]),
        Market(country: "GB", currency: "GBP", cities: [("London", "England", "SW1A 1AA"), ("Manchester", "Greater Manchester", "M1 1AE")],
               phones: ["020 7946 0###", "+44 (0)20 7946 0###", "07700 900###", "+44 7700 900###"]),
        Market(country: "DE", currency: "EUR", cities: [("München", "Bayern", "80331"), ("Köln", "NRW", "50667")],
               phones: ["030 1234###", "+49 30 1234###", "0049 171 1234###"]),
        Market(country: "FR", currency: "EUR", cities: [("Paris", "Île-de-France", "75001"), ("Lyon", "Auvergne-Rhône-Alpes", "69001")],
               phones: ["01 23 45 6# ##", "+33 6 12 34 5# ##"]),
        Market(country: "Netherlands", currency: "EUR", cities: [("Amsterdam", "Noord-Holland", "1012 AB")],
               phones: ["06 1234 5###", "+31 6 1234 5###"]),
    ]
    static let domains = ["example.com", "gmail.com", "Example.ORG", "mail.example.net"]
    static let agents = [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    ]
    static let products: [(String, String, String, String, String)] = [  // sku, name, category, brand, price
        ("SKU-TSHIRT-01", "Organic T-Shirt", "Apparel", "Acme", "24.90"), ("SKU-MUG-02", "Café Mug", "Home", "Acme", "12.50"),
        ("SKU-SHOE-03", "Trail Runner", "Shoes", "Fleet", "129.00"), ("SKU-BAG-04", "Weekender Bag", "Bags", "Nomad", "89.99"),
        ("SKU-SOCK-05", "Wool Socks", "Apparel", "Acme", "9.95"),
    ]

    /// The `index`-th order (0-based).
    public func sample(_ index: Int) -> Sample {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        let orderID = "ORD-\(100_000 + index)"
        if malformedEvery > 0, index % malformedEvery == malformedEvery - 1 {
            return malformed(index, orderID: orderID, rng: &rng)
        }
        let market = Self.markets[rng.next(below: Self.markets.count)]
        let first = Self.firstNames[rng.next(below: Self.firstNames.count)]
        let last = Self.lastNames[rng.next(below: Self.lastNames.count)]
        let (city, state, postal) = market.cities[rng.next(below: market.cities.count)]
        let localPart = "\(first.lowercased().filter(\.isLetter)).\(last.lowercased().filter(\.isLetter))\(rng.next(below: 2) == 0 ? "+shop" : "")\(index)"
        var email = "\(localPart)@\(Self.domains[rng.next(below: Self.domains.count)])"
        if rng.next(below: 3) == 0 { email = "  \(email.uppercased()) " }
        var phone = ""
        for character in market.phones[rng.next(below: market.phones.count)] {
            phone.append(character == "#" ? Character(String(rng.next(below: 10))) : character)
        }
        let ip = rng.next(below: 2) == 0 ? "203.0.113.\(rng.next(below: 250) + 1)" : "2001:db8::\(rng.next(below: 9000) + 1000)"
        let occurred = nowSeconds - Int64(rng.next(below: 3600))
        var items: [String] = []
        var total = 0.0
        for _ in 0..<(1 + rng.next(below: 3)) {
            let product = Self.products[rng.next(below: Self.products.count)]
            let quantity = 1 + rng.next(below: 3)
            total += Double(product.4)! * Double(quantity)
            items.append(
                #"{"sku":"\#(product.0)","name":"\#(product.1)","category":"\#(product.2)","brand":"\#(product.3)","quantity":\#(quantity),"price":\#(product.4)}"#
            )
        }
        let value = (total * 100).rounded() / 100
        let clickMillis = (occurred - 600) * 1000
        let marketingConsent = index % 17 != 16
        let json = """
            {"schema_version":1,"event_type":"order.completed","order_id":"\(orderID)","occurred_at":"\(RFC3339.format(epochSeconds: occurred))",\
            "currency":"\(market.currency)","value":\(value),"store_id":"shop-\(market.country.prefix(2).lowercased())",\
            "items":[\(items.joined(separator: ","))],\
            "customer":{"id":"cust-\(9000 + index)","email":"\(email)","phone":"\(phone)","first_name":"\(first)","last_name":"\(Self.escape(last))",\
            "city":"\(city)","state":"\(state)","postal_code":"\(postal)","country":"\(market.country)"},\
            "context":{"ip":"\(ip)","user_agent":"\(Self.agents[rng.next(below: Self.agents.count)])",\
            "page_url":"https://shop.example/checkout/thank-you","fbp":"fb.1.\(clickMillis).\(1_000_000_000 + rng.next(below: 999_999_999))",\
            "fbc":"fb.1.\(clickMillis).IwAR\(rng.next(below: 1_000_000))AbCdEf","ttclid":"E.C.P.\(rng.next(below: 1_000_000))",\
            "ttp":"\(rng.next(below: 1_000_000))-ttp","gclid":"Cj0KCQ\(rng.next(below: 1_000_000))","epik":"dj0yJnU9\(rng.next(below: 1_000_000))",\
            "sc_click_id":"ScCid\(rng.next(below: 1_000_000))","sc_cookie1":"\(rng.next(below: 1_000_000))-scid"},\
            "consent":{"marketing":\(marketingConsent),"ad_user_data":true,\
            "ad_personalization":\(index % 13 == 12 ? "false" : "true"),"limited_data_use":\(index % 11 == 10 ? "true" : "false")}}
            """
        return Sample(
            bytes: Array(json.utf8), orderID: orderID, isValid: true, marketingConsent: marketingConsent,
            personalValues: [email.trimmingCharacters(), phone, first, last, ip, "cust-\(9000 + index)"])
    }

    private func malformed(_ index: Int, orderID: String, rng: inout SplitMix64) -> Sample {
        let kinds = [
            "{\"schema_version\":1,\"event_type\":\"order.completed\",\"order_id\":\"\(orderID)\"",  // truncated
            "order \(orderID) completed",  // not JSON
            "{\"schema_version\":1,\"event_type\":\"order.completed\",\"order_id\":\"\(orderID)\",\"occurred_at\":\"yesterday\",\"currency\":\"EUR\",\"value\":10}",
            "{\"schema_version\":1,\"event_type\":\"order.completed\",\"order_id\":\"\(orderID)\",\"occurred_at\":\"2026-11-20T10:00:00Z\",\"currency\":\"euro\",\"value\":10}",
            "{\"schema_version\":1,\"event_type\":\"order.completed\",\"order_id\":\"\(orderID)\",\"occurred_at\":\"2026-11-20T10:00:00Z\",\"currency\":\"EUR\",\"value\":-5}",
            "{\"schema_version\":2,\"event_type\":\"order.completed\",\"order_id\":\"\(orderID)\",\"occurred_at\":\"2026-11-20T10:00:00Z\",\"currency\":\"EUR\",\"value\":5}",
        ]
        let text = kinds[index / max(malformedEvery, 1) % kinds.count]
        return Sample(bytes: Array(text.utf8), orderID: orderID, isValid: false, marketingConsent: true, personalValues: [])
    }

    static func escape(_ text: String) -> String {
        text.replacing("\"", with: "\\\"")
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
