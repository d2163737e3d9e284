import Foundation
import Testing

@testable import RelayCore

/// The direct reader matches members written compactly in the contract's order (`,"name":`) by
/// word compares, skipping forward over members a producer left out, and reads personal values in
/// ASCII without escapes by one scan. Every other spelling goes through the member loop and the
/// general string reading. These tests write one event in many spellings and check that each is
/// read as the tree reads it, and that the compact spelling and the others give the same event.
@Suite struct CompactMembersTests {
    typealias Member = (name: String, value: String)

    static let root: [Member] = [
        ("schema_version", "1"), ("event_type", #""order.completed""#), ("order_id", #""ORD-1""#),
        ("occurred_at", #""2026-11-26T10:15:30Z""#), ("currency", #""EUR""#), ("value", "12.5"), ("store_id", #""shop-de""#),
        ("items", #"[{"sku":"S-1","name":"Mug","category":"Home","brand":"Acme","quantity":1,"price":12.5}]"#),
    ]
    static let customer: [Member] = [
        ("id", #""cust-1""#), ("email", #""jo.doe@example.com""#), ("phone", #""+49 30 1234567""#),
        ("first_name", #""Jo""#), ("last_name", #""Doe""#), ("date_of_birth", #""1990-01-02""#), ("gender", #""f""#),
        ("city", #""Berlin""#), ("state", #""BE""#), ("postal_code", #""10115""#), ("country", #""DE""#),
    ]
    static let context: [Member] = [
        ("ip", #""203.0.113.9""#), ("user_agent", #""Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0""#),
        ("page_url", #""https://shop.example/checkout/thank-you""#), ("fbp", #""fb.1.1700000000000.1234567890""#),
        ("fbc", #""fb.1.1700000000000.IwAR1AbCdEf""#), ("ttclid", #""E.C.P.1""#), ("ttp", #""1-ttp""#),
        ("gclid", #""Cj0KCQ1""#), ("gbraid", #""gb-1""#), ("wbraid", #""wb-1""#), ("epik", #""dj0yJnU91""#),
        ("sc_click_id", #""ScCid1""#), ("sc_cookie1", #""1-scid""#),
    ]
    static let consent: [Member] = [
        ("marketing", "true"), ("ad_user_data", "true"), ("ad_personalization", "false"), ("limited_data_use", "null"),
    ]

    /// `members` as an object, each member spelled `"name"` + `colon` + value, joined by `comma`.
    static func object(_ members: [Member], colon: String = ":", comma: String = ",") -> String {
        "{" + members.map { #""\#($0.name)""# + colon + $0.value }.joined(separator: comma) + "}"
    }

    /// The event with its customer, context and consent objects as given.
    static func event(customer: String, context: String, consent: String, colon: String = ":", comma: String = ",") -> [UInt8] {
        let members = root + [("customer", customer), ("context", context), ("consent", consent)]
        return Array(object(members, colon: colon, comma: comma).utf8)
    }

    static var compact: [UInt8] { event(customer: object(customer), context: object(context), consent: object(consent)) }

    /// Read directly, as the tree reads it.
    static func readAlike(_ bytes: [UInt8], _ comment: Comment) throws -> OrderEvent {
        let direct = try #require(DirectEventReaderTests.direct(bytes), comment)
        #expect(direct == (try OrderEventDecoder().decodeThroughTree(bytes)), comment)
        return direct
    }

    @Test func theCompactSpellingIsReadDirectlyAsTheTreeReadsIt() throws {
        let event = try Self.readAlike(Self.compact, "compact")
        #expect(event.customer.email?.unredactedValue == "jo.doe@example.com")
        #expect(event.customer.gender?.unredactedValue == "f")
        #expect(event.customer.country?.unredactedValue == "DE")
        #expect(event.context.userAgent?.unredactedValue == "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0")
        #expect(event.context.gbraid?.unredactedValue == "gb-1")
        #expect(event.context.scCookie1?.unredactedValue == "1-scid")
        #expect(event.consent.adPersonalization == false)
        #expect(event.consent.limitedDataUse == nil)
        #expect(event.storeID == "shop-de")
    }

    /// Whitespace around the punctuation, members in another order, and members left out (which
    /// the compact matching skips over) give the event the compact spelling gives.
    @Test(arguments: [
        (":", ","), (" : ", " , "), (":", ",\n  "), ("\t:", ","), (": ", ","),
    ])
    func spacedSpellingsGiveTheCompactEvent(colon: String, comma: String) throws {
        let expected = try Self.readAlike(Self.compact, "compact")
        let bytes = Self.event(
            customer: Self.object(Self.customer, colon: colon, comma: comma),
            context: Self.object(Self.context, colon: colon, comma: comma),
            consent: Self.object(Self.consent, colon: colon, comma: comma), colon: colon, comma: comma)
        #expect(try Self.readAlike(bytes, "spaced \(colon.utf8.count) \(comma.utf8.count)") == expected)
    }

    @Test func reorderedMembersGiveTheCompactEvent() throws {
        let expected = try Self.readAlike(Self.compact, "compact")
        let variants: [(String, [UInt8])] = [
            ("reversed", Self.event(
                customer: Self.object(Self.customer.reversed()), context: Self.object(Self.context.reversed()),
                consent: Self.object(Self.consent.reversed()))),
            ("rotated", Self.event(
                customer: Self.object(Array(Self.customer[5...] + Self.customer[..<5])),
                context: Self.object(Array(Self.context[7...] + Self.context[..<7])),
                consent: Self.object(Array(Self.consent[2...] + Self.consent[..<2])))),
            ("swapped pairs", Self.event(
                customer: Self.object(Self.swappedPairs(Self.customer)), context: Self.object(Self.swappedPairs(Self.context)),
                consent: Self.object(Self.swappedPairs(Self.consent)))),
        ]
        for (name, bytes) in variants {
            #expect(try Self.readAlike(bytes, "\(name)") == expected, "\(name)")
        }
    }

    static func swappedPairs(_ members: [Member]) -> [Member] {
        var swapped = members
        for index in stride(from: 0, to: members.count - 1, by: 2) { swapped.swapAt(index, index + 1) }
        return swapped
    }

    /// Every subset that leaves out one member, two neighbours, or every other member: the
    /// compact matching skips forward over the missing ones, and the event has them absent.
    @Test func membersLeftOutAreAbsent() throws {
        for (name, members) in [("customer", Self.customer), ("context", Self.context), ("consent", Self.consent)] {
            let all = Array(0..<members.count)
            var subsets: [[Int]] = all.map { (left: Int) -> [Int] in all.filter { $0 != left } }
            subsets += all.dropLast().map { (left: Int) -> [Int] in all.filter { $0 != left && $0 != left + 1 } }
            subsets.append(all.filter { $0 % 2 == 0 })
            subsets.append(all.filter { $0 % 2 == 1 })
            subsets.append([])
            for subset in subsets {
                let kept = subset.map { members[$0] }
                let compact = Self.object(kept)
                let spaced = Self.object(kept, colon: " : ", comma: " , ")
                func event(_ object: String) -> [UInt8] {
                    Self.event(
                        customer: name == "customer" ? object : "null", context: name == "context" ? object : "{}",
                        consent: name == "consent" ? object : "null")
                }
                let direct = try Self.readAlike(event(compact), "\(name) \(subset)")
                #expect(direct == (try Self.readAlike(event(spaced), "\(name) \(subset) spaced")), "\(name) \(subset)")
            }
        }
        let partial = try Self.readAlike(
            Self.event(customer: Self.object([Self.customer[1], Self.customer[10]]), context: "{}", consent: "{}"), "email, country")
        #expect(partial.customer.email?.unredactedValue == "jo.doe@example.com")
        #expect(partial.customer.country?.unredactedValue == "DE")
        #expect(partial.customer.id == nil && partial.customer.phone == nil && partial.customer.city == nil)
    }

    /// Values the one-scan reading of personal values leaves to the general reading: escapes,
    /// `null`, the empty string, and lengths at and over the limit; and non-ASCII letters, which
    /// it checks as UTF-8 in place while their bytes are within the limit (at the limit in bytes,
    /// one byte over it but within it in characters).
    @Test(arguments: [
        #""jo\u002edoe@example.com""#, #""jo.doe\"@example.com""#, #""Jö Döe""#, #""😀""#, "null", #""""#,
        #""\#(String(repeating: "é", count: OrderEventDecoder.maximumCustomerFieldLength / 2))""#,
        #""\#(String(repeating: "a", count: OrderEventDecoder.maximumCustomerFieldLength - 1))é""#,
        #""é\#(String(repeating: "a", count: OrderEventDecoder.maximumCustomerFieldLength - 2))""#,
        #""\#(String(repeating: "a", count: OrderEventDecoder.maximumCustomerFieldLength))""#,
        #""\#(String(repeating: "a", count: OrderEventDecoder.maximumCustomerFieldLength + 1))""#,
        #""\#(String(repeating: "é", count: OrderEventDecoder.maximumCustomerFieldLength))""#,
        #""\#(String(repeating: "é", count: OrderEventDecoder.maximumCustomerFieldLength + 1))""#,
        "\"a\u{01}b\"", #""a\qb""#, "\"a\u{7F}b\"", "\"abc", "1", "true",
    ])
    func personalValuesAreReadAsTheTreeReadsThem(value: String) throws {
        for member in [1, 3, 10] {
            var customer = Self.customer
            customer[member].value = value
            let bytes = Self.event(customer: Self.object(customer), context: Self.object(Self.context), consent: Self.object(Self.consent))
            let outcomes = DirectEventReaderTests.bothPaths(bytes)
            #expect(outcomes.decoded == outcomes.tree, "\(customer[member].name)")
            if case .success(let event) = outcomes.tree {
                #expect(DirectEventReaderTests.direct(bytes) == event, "\(customer[member].name)")
            }
        }
        var context = Self.context
        context[1].value = value
        let bytes = Self.event(customer: Self.object(Self.customer), context: Self.object(context), consent: Self.object(Self.consent))
        let outcomes = DirectEventReaderTests.bothPaths(bytes)
        #expect(outcomes.decoded == outcomes.tree, "user_agent")
    }

    /// Spellings the compact matching must not take for a member: a name with an escape, a
    /// duplicate (right after the member, and after the ones that follow it), an unknown name that
    /// starts like a known one, a known name cut short, and a missing colon or comma.
    @Test(arguments: [
        (#","e\u006dail":"x@example.com""#, false),
        (#","email":"x@example.com""#, false),
        (#","emails":"x@example.com""#, true),
        (#","emai":"x@example.com""#, true),
        (#","email""x@example.com""#, false),
        (#""email":"x@example.com""#, false),
        (#","email" :"x@example.com""#, false),
    ])
    func spellingsAfterAMemberAreReadAsTheTreeReadsThem(inserted: String, valid: Bool) throws {
        // Inserted after `phone`, so `email` (already read) would be a duplicate and the names
        // after `phone` are the ones the compact matching tries.
        for after in ["phone", "country"] {
            let object = Self.object(Self.customer)
            let anchor = #""\#(after)":\#(Self.customer.first { $0.name == after }!.value)"#
            let customer = object.replacingOccurrences(of: anchor, with: anchor + inserted)
            #expect(customer != object)
            let bytes = Self.event(customer: customer, context: Self.object(Self.context), consent: Self.object(Self.consent))
            let outcomes = DirectEventReaderTests.bothPaths(bytes)
            #expect(outcomes.decoded == outcomes.tree, "\(inserted) after \(after)")
            if case .success = outcomes.tree { #expect(valid, "\(inserted) after \(after)") } else { #expect(!valid, "\(inserted) after \(after)") }
        }
    }

    /// After a member read out of order, the compact matching tries the names after it, some of
    /// which may have been read already: a duplicate there is refused as the tree refuses it.
    @Test(arguments: [
        (#"{"country":"DE","id":"cust-1","country":"FR"}"#, false),
        (#"{"city":"Berlin","email":"a@example.com","phone":"+4930123","city":"Bonn"}"#, false),
        (#"{"city":"Berlin","email":"a@example.com","phone":"+4930123","country":"DE"}"#, true),
    ])
    func duplicatesAfterAMemberOutOfOrder(customer: String, valid: Bool) throws {
        let bytes = Self.event(customer: customer, context: "{}", consent: "{}")
        let outcomes = DirectEventReaderTests.bothPaths(bytes)
        #expect(outcomes.decoded == outcomes.tree)
        if case .success = outcomes.tree { #expect(valid) } else { #expect(!valid) }
        #expect((DirectEventReaderTests.direct(bytes) != nil) == valid)
    }

    /// A personal value with bytes that are not UTF-8 (a lone lead byte, a stray continuation
    /// byte, 0xFF): the one-scan reading leaves it to the general one, which refuses it as the tree does.
    @Test(arguments: [[0xC3], [0xC3, 0x28], [0x80], [0xFF], [0x61, 0xE2, 0x82], [0xED, 0xA0, 0x80]] as [[UInt8]])
    func personalValuesThatAreNotUTF8AreRefusedAsTheTreeRefusesThem(bad: [UInt8]) throws {
        var customer = Self.customer
        customer[1].value = #""jo.doe@PLACEHOLDER""#
        let template = Self.event(customer: Self.object(customer), context: Self.object(Self.context), consent: Self.object(Self.consent))
        let placeholder = Array("PLACEHOLDER".utf8)
        let at = try #require((0...(template.count - placeholder.count)).first { template[$0..<$0 + placeholder.count].elementsEqual(placeholder) })
        var bytes = template
        bytes.replaceSubrange(at..<at + placeholder.count, with: bad)
        let outcomes = DirectEventReaderTests.bothPaths(bytes)
        #expect(outcomes.decoded == outcomes.tree)
        if case .success = outcomes.tree { Issue.record("not UTF-8, yet valid") }
        #expect(DirectEventReaderTests.direct(bytes) == nil)
    }

    /// The consent written compactly is read by word compares of its four names; each literal in
    /// each member, a value after whitespace, a member missing, a misspelt literal and a trailing
    /// member must read as the tree reads them, and alike with the member loop's spelling.
    @Test(arguments: ["true", "false", "null", " true", "\ntrue", "tru", "nul", "falsey", "1", #""true""#])
    func compactConsentIsReadAsTheTreeReadsIt(literal: String) throws {
        for member in 0..<Self.consent.count {
            var consent = Self.consent
            consent[member].value = literal
            for spelling in [Self.object(consent), Self.object(consent, colon: " : "), Self.object(consent + [("note", "1")])] {
                let bytes = Self.event(customer: Self.object(Self.customer), context: "{}", consent: spelling)
                let outcomes = DirectEventReaderTests.bothPaths(bytes)
                #expect(outcomes.decoded == outcomes.tree, "\(consent[member].name): \(literal)")
                if case .success(let event) = outcomes.tree {
                    #expect(DirectEventReaderTests.direct(bytes) == event, "\(consent[member].name): \(literal)")
                }
            }
        }
        let all = Self.consent.map { (name: $0.name, value: literal) }
        let compact = Self.event(customer: "{}", context: "{}", consent: Self.object(all))
        let spaced = Self.event(customer: "{}", context: "{}", consent: Self.object(all, colon: " :"))
        let outcomes = DirectEventReaderTests.bothPaths(compact)
        #expect(outcomes.decoded == outcomes.tree)
        if case .success(let event) = outcomes.tree {
            #expect(DirectEventReaderTests.direct(compact) == event)
            #expect(DirectEventReaderTests.direct(spaced) == event)
            let expected: Bool? = literal.contains("true") ? true : literal.contains("false") ? false : nil
            #expect(event.consent.marketing == expected && event.consent.adUserData == expected)
            #expect(event.consent.adPersonalization == expected && event.consent.limitedDataUse == expected)
        }
    }

    /// The event's first seven members written compactly are read by word compares of their names
    /// (then the member loop goes on from `items`). Each of them with a space before its value,
    /// `null`, left out, moved to the end, duplicated at the end, or with another value, must
    /// read as the tree reads it, and a valid variant must still be read directly.
    @Test func theCompactHeadIsReadAsTheTreeReadsIt() throws {
        let tail: [Member] = [
            ("customer", Self.object(Self.customer)), ("context", Self.object(Self.context)), ("consent", Self.object(Self.consent)),
        ]
        let others: [String: String] = [
            "schema_version": "2", "event_type": #""order.created""#, "order_id": #""has space""#,
            "occurred_at": #""yesterday""#, "currency": #""euro""#, "value": "-1", "store_id": #""shop-de""#,
        ]
        var valid = 0
        for index in 0..<7 {
            let member = Self.root[index]
            var variants: [(String, [Member])] = []
            var spaced = Self.root
            spaced[index].value = " " + member.value
            variants.append(("spaced", spaced))
            var null = Self.root
            null[index].value = "null"
            variants.append(("null", null))
            var other = Self.root
            other[index].value = others[member.name]!
            variants.append(("other", other))
            var leftOut = Self.root
            leftOut.remove(at: index)
            variants.append(("left out", leftOut))
            variants.append(("moved", leftOut + [member]))
            variants.append(("duplicated", Self.root + [member]))
            if member.name == "event_type" {
                var escaped = Self.root
                escaped[index].value = #""order\u002ecompleted""#
                variants.append(("escaped", escaped))
                var longer = Self.root
                longer[index].value = #""order.completed.""#
                variants.append(("longer", longer))
            }
            if member.name == "currency" {
                for (name, value) in [("escaped", #""\u0045UR""#), ("lower case", #""eur""#), ("quote inside", #""EU\"""#), ("USD", #""USD""#)] {
                    var variant = Self.root
                    variant[index].value = value
                    variants.append((name, variant))
                }
            }
            for (name, members) in variants {
                let bytes = Array(Self.object(members + tail).utf8)
                let outcomes = DirectEventReaderTests.bothPaths(bytes)
                #expect(outcomes.decoded == outcomes.tree, "\(member.name) \(name)")
                if case .success(let event) = outcomes.tree {
                    valid += 1
                    #expect(DirectEventReaderTests.direct(bytes) == event, "\(member.name) \(name)")
                }
            }
        }
        #expect(valid >= 16)  // spaced and moved ones, store_id null or left out, an escaped store id
    }
}
