import Foundation
import RelayCore
import Testing

@Suite struct BatchAccumulatorTests {
    @Test func closesOnEventCount() {
        var batch = BatchAccumulator<Int>(policy: BatchPolicy(maximumEvents: 3, maximumBytes: 1000, lingerMilliseconds: 50))
        let result1 = batch.append(1, bytes: 10, now: 0)
        #expect(result1 == nil)
        let result2 = batch.append(2, bytes: 10, now: 1)
        #expect(result2 == nil)
        let result3 = batch.append(3, bytes: 10, now: 2)
        #expect(result3 == [1, 2, 3])
        #expect(batch.isEmpty)
    }

    @Test func closesBeforeExceedingBytes() {
        var batch = BatchAccumulator<Int>(policy: BatchPolicy(maximumEvents: 100, maximumBytes: 25, lingerMilliseconds: 50))
        let result4 = batch.append(1, bytes: 10, now: 0)
        #expect(result4 == nil)
        let result5 = batch.append(2, bytes: 10, now: 0)
        #expect(result5 == nil)
        let result6 = batch.append(3, bytes: 10, now: 0)
        #expect(result6 == [1, 2])
        #expect(batch.elements == [3])
    }

    @Test func lingersFromTheFirstEvent() {
        var batch = BatchAccumulator<Int>(policy: BatchPolicy(maximumEvents: 100, lingerMilliseconds: 50))
        let result7 = batch.takeIfDue(now: 1000)
        #expect(result7 == nil)
        _ = batch.append(1, bytes: 1, now: 100)
        _ = batch.append(2, bytes: 1, now: 140)
        #expect(batch.deadline == 150)
        let result8 = batch.takeIfDue(now: 149)
        #expect(result8 == nil)
        let result9 = batch.takeIfDue(now: 150)
        #expect(result9 == [1, 2])
        #expect(batch.deadline == nil)
    }
}

@Suite struct EventIDTemplateTests {
    let event = OrderEvent(
        orderID: "ORD-7", occurredAt: Timestamp(epochSeconds: 0, rfc3339: "1970-01-01T00:00:00Z"), currency: "EUR",
        value: JSONNumber(1), storeID: "shop-de")

    @Test func defaultIsTheOrderID() {
        #expect(EventIDTemplate.orderID.eventID(for: event) == "ORD-7")
    }

    @Test func placeholdersAreReplaced() throws {
        #expect(try EventIDTemplate("{store_id}:{order_id}").eventID(for: event) == "shop-de:ORD-7")
        var noStore = event
        noStore.storeID = nil
        #expect(try EventIDTemplate("purchase-{store_id}-{order_id}").eventID(for: noStore) == "purchase--ORD-7")
    }

    @Test func badTemplatesAreRejected() {
        #expect(throws: EventIDTemplate.InvalidTemplate.self) { try EventIDTemplate("{store_id}") }
        #expect(throws: EventIDTemplate.InvalidTemplate.self) { try EventIDTemplate("{order_id}-{sku}") }
        #expect(throws: EventIDTemplate.InvalidTemplate.self) { try EventIDTemplate("{order_id") }
    }
}

@Suite struct RFC3339Tests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0)),
        ("2026-11-26T10:15:30Z", 1_795_688_130),
        ("2026-11-26T05:15:30.999-05:00", 1_795_688_130),
        ("2024-02-29T23:59:59+01:00", 1_709_247_599),
        ("1969-12-31T23:59:59Z", -1),
    ])
    func parsesToEpochSeconds(text: String, seconds: Int64) {
        #expect(RFC3339.parse(text)?.epochSeconds == seconds)
    }

    @Test func formatRoundTrips() {
        for seconds: Int64 in [0, 1_795_688_130, 951_782_400, -86_400] {
            #expect(RFC3339.parse(RFC3339.format(epochSeconds: seconds))?.epochSeconds == seconds)
        }
    }

    /// The digit-by-digit writer against Foundation's formatter over years 1583–9999 (both ends
    /// and 20,000 random instants; before 1583 Foundation's calendar is Julian, RFC 3339's is
    /// proleptic Gregorian), the first year by hand, and the padded form beyond year 9999.
    @Test func formatMatchesFoundation() {
        let reference = DateFormatter()
        reference.locale = Locale(identifier: "en_US_POSIX")
        reference.timeZone = TimeZone(identifier: "UTC")
        reference.calendar = Calendar(identifier: .gregorian)
        reference.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        var generator = SystemRandomNumberGenerator()
        let first: Int64 = -12_212_553_600  // 1583-01-01T00:00:00Z
        let last: Int64 = 253_402_300_799  // 9999-12-31T23:59:59Z
        let instants = [first, last, 0, -1, 951_782_400, 1_795_688_130]
            + (0..<20_000).map { _ in Int64.random(in: first...last, using: &generator) }
        for seconds in instants {
            let expected = reference.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(RFC3339.format(epochSeconds: seconds) == expected, "epoch seconds \(seconds)")
        }
        #expect(RFC3339.format(epochSeconds: -62_135_596_800) == "0001-01-01T00:00:00Z")
        #expect(RFC3339.format(epochSeconds: last + 1) == "10000-01-01T00:00:00Z")
    }

    @Test(arguments: ["2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26 10:15:30Z", "2026-11-26T10:15:30"])
    func rejectsImpossibleOrIncompleteTimes(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    /// Every digit of a date-time with an offset, replaced by each byte that is not a digit
    /// (those just below `0` and above `9` included), makes it invalid; each other digit keeps it
    /// valid, its value read as that digit.
    @Test func everyDigitPositionTakesOnlyDigits() {
        let text = Array("2026-11-26T05:15:30-05:00".utf8)
        let digitPositions = text.indices.filter { text[$0] >= 0x30 && text[$0] <= 0x39 }
        #expect(digitPositions.count == 18)
        for position in digitPositions {
            for byte in UInt8.min...UInt8.max {
                var bytes = text
                bytes[position] = byte
                let seconds = RFC3339.parse(String(decoding: bytes, as: UTF8.self))?.epochSeconds
                if byte < 0x30 || byte > 0x39 {
                    #expect(seconds == nil, "byte \(byte) at \(position)")
                } else if byte == text[position] {
                    #expect(seconds == 1_795_688_130)
                }
            }
        }
        // Each place's weight: one more in the seconds, the minutes, the offset's minutes, the year.
        #expect(RFC3339.parse("2026-11-26T05:15:31-05:00")?.epochSeconds == 1_795_688_131)
        #expect(RFC3339.parse("2026-11-26T05:16:30-05:00")?.epochSeconds == 1_795_688_190)
        #expect(RFC3339.parse("2026-11-26T05:15:30-05:01")?.epochSeconds == 1_795_688_190)
        #expect(RFC3339.parse("2027-11-26T05:15:30-05:00")?.epochSeconds == 1_827_224_130)  // 365 days later
    }
}

@Suite struct PrivacyTests {
    @Test func rawPIIAndSecretsNeverPrint() {
        let email = RawPII("jane.doe@example.com")
        let token = Secret("EAAB-not-a-real-token")
        var customer = OrderEvent.Customer()
        customer.email = email
        var dumped = ""
        dump(customer, to: &dumped)
        for text in ["\(email)", String(describing: email), String(reflecting: email), "\(customer)", dumped,
                     "\(token)", String(reflecting: token)] {
            #expect(!text.contains("jane"))
            #expect(!text.contains("EAAB"))
        }
        #expect("\(email)" == "<redacted>")
    }
}

@Suite struct TokenBucketTests {
    @Test func allowsABurstThenPacesAtTheRate() {
        var bucket = TokenBucket(requestsPerMinute: 300)  // Google's documented per-project limit
        #expect(bucket.capacity == 30)
        var waits: [Int64] = []
        for _ in 0..<32 { waits.append(bucket.reserve(now: 0)) }
        #expect(waits.prefix(30).allSatisfy { $0 == 0 })
        #expect(waits[30] == 200)  // 5 requests per second: one every 200 ms
        #expect(waits[31] == 400)
    }

    @Test func refillsOverTimeUpToCapacity() {
        var bucket = TokenBucket(requestsPerMinute: 60)
        #expect(bucket.capacity == 6)
        for _ in 0..<6 { #expect(bucket.reserve(now: 0) == 0) }
        #expect(bucket.reserve(now: 0) == 1000)
        // An hour later the bucket is full again, not overflowing.
        var later = bucket
        for _ in 0..<6 { #expect(later.reserve(now: 3_600_000) == 0) }
        #expect(later.reserve(now: 3_600_000) > 0)
    }

    /// Google Data Manager's 100,000 requests a day per Cloud project: a relay sending as fast as
    /// the bucket lets it stays within the quota over any 24 hours, starting full, and uses it.
    @Test func aDayOfRequestsStaysWithinTheDailyQuota() {
        var bucket = TokenBucket(requestsPerDay: 100_000)
        #expect(bucket.capacity == 25_000)
        var clock: Int64 = 0
        var sentInTheFirstDay = 0
        while true {
            clock += bucket.reserve(now: clock)
            guard clock < 86_400_000 else { break }
            sentInTheFirstDay += 1
        }
        #expect(sentInTheFirstDay <= 100_000)
        #expect(sentInTheFirstDay >= 99_900)
        // After the quarter up front, one request every 86,400 s / 75,000.
        var fresh = TokenBucket(requestsPerDay: 100_000)
        for _ in 0..<25_000 { #expect(fresh.reserve(now: 0) == 0) }
        #expect(fresh.reserve(now: 0) == 1_152)
    }

    @Test func aRequestWaitsForTheSlowerOfTwoQuotas() throws {
        #expect(RequestPacing(requestsPerMinute: nil, requestsPerDay: nil) == nil)
        var pacing = try #require(RequestPacing(requestsPerMinute: 300, requestsPerDay: 100))
        // The day's quarter (25) runs out before the minute's burst (30).
        for _ in 0..<25 { #expect(pacing.reserve(now: 0) == 0) }
        #expect(pacing.reserve(now: 0) == 1_152_000)  // 86,400 s / 75 per day
        var minuteOnly = try #require(RequestPacing(requestsPerMinute: 300, requestsPerDay: nil))
        for _ in 0..<30 { #expect(minuteOnly.reserve(now: 0) == 0) }
        #expect(minuteOnly.reserve(now: 0) == 200)
    }

    @Test func sustainedThroughputMatchesTheRate() {
        var bucket = TokenBucket(requestsPerMinute: 600)
        var clock: Int64 = 0
        for _ in 0..<1000 { clock += bucket.reserve(now: clock) }
        // 1000 requests, 60 of them from the initial burst, the rest at 10/s.
        #expect(abs(Double(clock) - 94_000) < 200)
    }
}

@Suite struct RawPIIBlankTests {
    @Test(arguments: [
        ("", true), (" ", true), ("\t\r\n ", true), ("\u{00A0}", true), (" \u{2003}\u{3000}", true),
        ("a", false), (" a ", false), ("\t0", false), ("é", false), ("\u{00A0}é", false), ("漢", false),
    ])
    func blankMeansOnlyWhitespace(value: String, blank: Bool) {
        #expect(RawPII(value).isBlank == blank)
    }
}

@Suite struct StringEndsTests {
    /// Small (inline) and heap strings, one byte, several, multi-byte ends, and a Substring's copy.
    @Test(arguments: ["", "a", "ab", " x ", "é", "Zoë", "漢字", "a very long string well past fifteen bytes ✓", String("  trimmed  ".dropFirst(2))])
    func endsAreTheFirstAndLastUTF8Bytes(value: String) {
        let ends = value.utf8Ends
        #expect(ends?.first == value.utf8.first)
        #expect(ends?.last == value.utf8.last)
    }
}
