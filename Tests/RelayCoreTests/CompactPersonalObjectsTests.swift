import Foundation
import Testing

@testable import RelayCore

/// The customer and the context written compactly, their members in the contract's order, are
/// read by a straight line of key matches (`DirectEventReader.compactCustomer(into:)`,
/// `compactContext(into:)`), each key `,"name":` with `{` in place of the comma before the first
/// member. Any other spelling goes back to the member loop. These tests check that every subset
/// of the members in order is read directly, as the tree reads it, and that a byte out of place
/// in a key or between members is never taken for a member.
@Suite struct CompactPersonalObjectsTests {
    typealias Member = CompactMembersTests.Member

    static func event(customer: String = "{}", context: String = "{}") -> [UInt8] {
        CompactMembersTests.event(customer: customer, context: context, consent: "null")
    }

    /// Both objects with every subset of their members (in the contract's order): read directly,
    /// equal to the tree's event, each member present exactly when written.
    @Test func everySubsetInOrderIsReadDirectly() throws {
        for (name, members) in [("customer", CompactMembersTests.customer), ("context", CompactMembersTests.context)] {
            for subset in 0..<(1 << members.count) {
                let kept = members.indices.filter { subset & (1 << $0) != 0 }.map { members[$0] }
                let object = CompactMembersTests.object(kept)
                let bytes = name == "customer" ? Self.event(customer: object) : Self.event(context: object)
                let event = try CompactMembersTests.readAlike(bytes, "\(name) \(subset)")
                let present =
                    name == "customer"
                    ? [
                        event.customer.id, event.customer.email, event.customer.phone, event.customer.firstName,
                        event.customer.lastName, event.customer.dateOfBirth, event.customer.gender, event.customer.city,
                        event.customer.state, event.customer.postalCode, event.customer.country,
                    ]
                    : [
                        event.context.ip, event.context.userAgent, event.context.pageURL, event.context.fbp, event.context.fbc,
                        event.context.ttclid, event.context.ttp, event.context.gclid, event.context.gbraid, event.context.wbraid,
                        event.context.epik, event.context.scClickID, event.context.scCookie1,
                    ]
                for (index, value) in present.enumerated() {
                    #expect((value != nil) == (subset & (1 << index) != 0), "\(name) \(subset) \(members[index].name)")
                }
            }
        }
    }

    /// Each byte of each member's key (`,"name":`, the `{` before the first) replaced by another
    /// that matters to JSON or to a name: read as the tree reads it (an unknown name, an error).
    /// A backslash may make an escape in a name, which the direct reader leaves to the tree.
    @Test func aByteOutOfPlaceInAKeyIsReadAsTheTreeReadsIt() throws {
        let replacements: [UInt8] = Array(#" X":,{}\_"#.utf8) + [0x09]
        for (name, members) in [("customer", CompactMembersTests.customer), ("context", CompactMembersTests.context)] {
            let object = Array(CompactMembersTests.object(members).utf8)
            var keyStart = 0
            for member in members {
                let length = member.name.utf8.count + 4  // the separator, two quotes, the colon
                for position in keyStart..<keyStart + length {
                    for replacement in replacements where replacement != object[position] {
                        var spelled = object
                        spelled[position] = replacement
                        let text = String(decoding: spelled, as: UTF8.self)
                        let bytes = name == "customer" ? Self.event(customer: text) : Self.event(context: text)
                        Self.expectAlike(bytes, "\(text)", directly: replacement != UInt8(ascii: "\\"))
                    }
                }
                keyStart += length + member.value.utf8.count
            }
        }
    }

    /// Separators between members in order that are not a single comma, and an object not closed
    /// where it should be: read as the tree reads them (refused, or a member loop's reading).
    @Test(arguments: [
        #"{"id":"cust-1""email":"a@example.com"}"#, #"{"id":"cust-1"{"email":"a@example.com"}"#,
        #"{"id":"cust-1",,"email":"a@example.com"}"#, #"{,"id":"cust-1","email":"a@example.com"}"#,
        #"{{"id":"cust-1","email":"a@example.com"}"#, #"{"id":"cust-1","email":"a@example.com",}"#,
        #"{"id":"cust-1" ,"email":"a@example.com"}"#, #"{"id":"cust-1", "email":"a@example.com"}"#,
        #"{ "id":"cust-1","email":"a@example.com"}"#, #"{"id":"cust-1","email":"a@example.com" }"#,
        #"{"id":"cust-1","email":"a@example.com"]"#, #"{"id":"cust-1","email":"a@example.com""#,
        #"{"id":"cust-1","email": "a@example.com"}"#, #"{"id":"cust-1","email":null}"#,
        #"{"id":"cust-1","id":"cust-2"}"#, #"{"email":"a@example.com","id":"cust-1"}"#, #"["id","cust-1"]"#,
        #""cust-1""#, "{}", "{ }",
        // No value at all, the object's close where it should open (the decoder fuzzer's find).
        "}",
    ])
    func separatorsAndEndsAreReadAsTheTreeReadsThem(customer: String) throws {
        Self.expectAlike(Self.event(customer: customer), "\(customer)")
        let context = customer.replacingOccurrences(of: #""id""#, with: #""ip""#).replacingOccurrences(of: "email", with: "page_url")
        Self.expectAlike(Self.event(context: context), "\(context)")
    }

    /// The event's last four members (`items`, `customer`, `context`, `consent`) after the compact
    /// head, read while they come in the contract's order and then by the member loop: every
    /// subset in every order, each `null`, spaced, and repeated (next to itself and at the end).
    @Test func theMembersAfterTheHeadAreReadAsTheTreeReadsThem() throws {
        let tail: [Member] = [
            ("items", #"[{"sku":"S-2","name":"Cup","category":null,"brand":"Acme","quantity":2,"price":3}]"#),
            ("customer", CompactMembersTests.object(CompactMembersTests.customer)),
            ("context", CompactMembersTests.object(CompactMembersTests.context)),
            ("consent", CompactMembersTests.object(CompactMembersTests.consent)),
        ]
        let head = Array(CompactMembersTests.root.prefix(7))
        func permutations(_ members: [Member]) -> [[Member]] {
            guard members.count > 1 else { return [members] }
            return members.indices.flatMap { index in
                var rest = members
                let first = rest.remove(at: index)
                return permutations(rest).map { [first] + $0 }
            }
        }
        var spellings: [[Member]] = []
        for subset in 0..<(1 << tail.count) {
            spellings += permutations(tail.indices.filter { subset & (1 << $0) != 0 }.map { tail[$0] })
        }
        for index in tail.indices {
            var null = tail
            null[index].value = "null"
            spellings.append(null)
            var spaced = tail
            spaced[index].value = " " + spaced[index].value
            spellings.append(spaced)
            var repeated = tail
            repeated.insert(tail[index], at: index + 1)
            spellings.append(repeated)
            spellings.append(tail + [tail[index]])
        }
        for members in spellings {
            let text = CompactMembersTests.object(head + members)
            Self.expectAlike(Array(text.utf8), "\(members.map(\.name))")
        }
        #expect(spellings.count == 65 + 16)  // 1 + 4 + 12 + 24 + 24 orders of subsets, four variants of each member
    }

    /// The time of twenty bytes is parsed where it lies, the version `1` before its comma taken as
    /// it lies: every byte of the time replaced by one that may end, escape or break it, other
    /// lengths and escapes, and other spellings of the version, read as the tree reads them.
    @Test func theTimeAndTheVersionAreReadAsTheTreeReadsThem() throws {
        let time = Array("2026-11-26T10:15:30Z".utf8)
        let times: [[UInt8]] = [
            time, Array("2026-11-26t10:15:30z".utf8), Array("2026-11-26T10:15:30.5Z".utf8),
            Array("2026-11-26T10:15:30+01:00".utf8), Array(#"\u0032026-11-26T10:15:30Z"#.utf8), Array("2026-11-26T10:15:3Z".utf8),
            Array(#"2026-11-26T10:15:30Z\""#.utf8), Array(#"2026-11-26T10:15:30Z""#.utf8), Array(#"2026-11-26T10:15:30Z\u0022"#.utf8),
        ]
        // Each byte between the quotes and the quotes themselves.
        var quotedTimes = times.map { [UInt8(ascii: "\"")] + $0 + [UInt8(ascii: "\"")] }
        for position in 0..<time.count + 2 {
            for replacement in Array(#""\ xz.é"#.utf8) + [0x01, 0x7F] {
                var spelled = quotedTimes[0]
                spelled[position] = replacement
                quotedTimes.append(spelled)
            }
        }
        let head = CompactMembersTests.root
        for spelled in quotedTimes {
            var members = head
            members[3].value = String(decoding: spelled, as: UTF8.self)
            Self.expectAlike(Array(CompactMembersTests.object(members).utf8), "\(members[3].value)")
        }
        for version in ["1", "1 ", "10", "1.0", "1e0", "01", "2", "-1", "1.5", "11"] {
            var members = head
            members[0].value = version
            Self.expectAlike(Array(CompactMembersTests.object(members).utf8), "\(version)")
        }
    }

    /// Decoded as the tree decodes it; a valid event also read directly, unless not `directly`.
    static func expectAlike(_ bytes: [UInt8], _ comment: Comment, directly: Bool = true) {
        let outcomes = DirectEventReaderTests.bothPaths(bytes)
        #expect(outcomes.decoded == outcomes.tree, comment)
        if directly, case .success(let event) = outcomes.tree {
            #expect(DirectEventReaderTests.direct(bytes) == event, comment)
        }
    }
}
