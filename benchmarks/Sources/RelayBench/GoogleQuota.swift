/// What Google's Data Manager quota allows a relay on one Cloud project: 300 ingestion requests a
/// minute of at most 2,000 events each (destinations.md §2), so at most 10,000 orders/s once the
/// relay's burst is spent. The burst is the relay's own pacing (``TokenBucket``: a tenth of a
/// minute's requests at once), which Google's quota admits as long as the minute's total holds.
struct GoogleQuota {
    static let documentedRequestsPerMinute = 300
    static let maximumEventsPerRequest = 2_000

    var requestsPerMinute: Int

    /// Requests the relay sends at once before pacing (`TokenBucket(requestsPerMinute:)`'s capacity).
    var burstRequests: Int { max(1, requestsPerMinute / 10) }

    /// The best rate over a backlog of `orders` orders of which `googleEvents` go to Google: full
    /// requests, the burst at once, then `requestsPerMinute / 60` a second. A backlog that fits in
    /// the burst has no bound (infinity).
    func ordersPerSecond(orders: Int, googleEvents: Int) -> Double {
        let requests = (googleEvents + Self.maximumEventsPerRequest - 1) / Self.maximumEventsPerRequest
        let paced = Double(max(0, requests - burstRequests)) / (Double(requestsPerMinute) / 60)
        return paced > 0 ? Double(orders) / paced : .infinity
    }
}
