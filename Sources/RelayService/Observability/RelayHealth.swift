/// What `/healthz` and `/readyz` report.
public struct RelayHealth: Sendable, Equatable {
    /// The group gave this member its assignment (possibly empty, when there are more replicas
    /// than partitions: such a member is idle but healthy and takes over on the next rebalance).
    public var assignmentReceived: Bool
    public var assignedPartitions: Int
    /// Destinations (`platform/store`) whose last three requests failed.
    public var failingDestinations: [String]
    public var destinationCount: Int

    /// Ready when the member has its assignment and not every destination is failing.
    public var isReady: Bool {
        assignmentReceived && (destinationCount == 0 || failingDestinations.count < destinationCount)
    }
}
