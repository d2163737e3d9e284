/// What `/healthz` and `/readyz` report.
public struct RelayHealth: Sendable, Equatable {
    /// The group gave this member its assignment (possibly empty, when there are more replicas
    /// than partitions: such a member is idle but healthy and takes over on the next rebalance).
    public var assignmentReceived: Bool
    public var assignedPartitions: Int
    /// Destinations (`platform/store`) whose last three requests failed.
    public var failingDestinations: [String]
    public var destinationCount: Int

    /// Ready when the member reached Kafka and has its assignment. A consumer takes no traffic,
    /// so readiness says whether it can consume, not whether the platforms answer: a platform's
    /// outage is retried and parked in the retry topic by design, and turning every pod NotReady
    /// for it would only block node drains (the PDB) and hide the pods from the Service's
    /// metrics scrape. Failing destinations are reported (in `/readyz`'s body and the metrics)
    /// and alerted on instead.
    public var isReady: Bool { assignmentReceived }
}
