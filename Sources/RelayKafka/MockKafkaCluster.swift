import CRelayShims
import Crdkafka
import Logging
import RelayCore

/// librdkafka's in-process mock cluster: real Kafka wire protocol on 127.0.0.1 ports, with error
/// injection. Used by tests, the demo and benchmarks. Child processes can connect to it too.
///
/// Limits of librdkafka 2.0.2's mock: about 5 MiB retained per partition (older data silently
/// dropped), no SSL/SASL, no static membership, a fixed 3 s before an empty group's first join
/// completes, and a rebalance with a departed member completes only after
/// `session.timeout.ms` − 1 s (tests use 3 s, the shortest session the mock keeps members in;
/// rdkafka_mock_cgrp.c, `rd_kafka_mock_cgrp_rebalance`).
public final class MockKafkaCluster: Sendable {
    private let helper: SendableKafkaHandle
    private let cluster: SendableMockHandle
    /// `host:port,…` for `bootstrap.servers`.
    public let bootstrapServers: String

    /// Kafka API keys (protocol numbering) for error injection.
    public enum APIKey: Int16, Sendable {
        case produce = 0, fetch = 1, listOffsets = 2, metadata = 3, offsetCommit = 8, offsetFetch = 9
        case findCoordinator = 10, joinGroup = 11, heartbeat = 12, leaveGroup = 13, syncGroup = 14
        case apiVersion = 18
    }

    public init(brokers: Int = 3) throws(KafkaError) {
        let conf = try RDKafkaConfig.make(["log_level": "3"])
        var errorBuffer = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorBuffer, errorBuffer.count) else {
            throw KafkaError(code: .underlying, message: "mock helper: \(String(errorBuffer: errorBuffer))")
        }
        guard let cluster = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            throw KafkaError(code: .underlying, message: "cannot create mock cluster")
        }
        helper = SendableKafkaHandle(pointer: rk)
        self.cluster = SendableMockHandle(pointer: cluster)
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster.pointer)
        rd_kafka_destroy(helper.pointer)
    }

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let error = rd_kafka_mock_topic_create(cluster.pointer, name, Int32(partitions), Int32(replicationFactor))
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(error, context: "create topic \(name)") }
    }

    /// Takes one broker (or all, with `nil`) down: connections are closed and refused.
    public func setBrokerDown(_ broker: Int32?) {
        rd_kafka_mock_broker_set_down(cluster.pointer, broker ?? -1)
    }

    public func setBrokerUp(_ broker: Int32?) {
        rd_kafka_mock_broker_set_up(cluster.pointer, broker ?? -1)
    }

    /// Adds round-trip latency to one broker (or all).
    public func setRoundTripTime(_ broker: Int32?, milliseconds: Int32) {
        rd_kafka_mock_broker_set_rtt(cluster.pointer, broker ?? -1, milliseconds)
    }

    /// The next requests of `api` fail with the given librdkafka error codes, in order.
    public func pushRequestErrors(_ api: APIKey, errors: [Int32]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        rd_kafka_mock_push_request_errors_array(cluster.pointer, api.rawValue, codes.count, &codes)
    }

    /// One error with a delay on one broker's next `api` request.
    public func pushBrokerRequestError(broker: Int32, _ api: APIKey, error: Int32, roundTripMilliseconds: Int32) {
        relay_cshim_mock_broker_push_request_error_rtt(
            cluster.pointer, broker, api.rawValue, rd_kafka_resp_err_t(rawValue: error), roundTripMilliseconds)
    }

    public func clearRequestErrors(_ api: APIKey) {
        rd_kafka_mock_clear_request_errors(cluster.pointer, api.rawValue)
    }

    /// Makes `broker` the coordinator of consumer group `groupID`.
    public func setGroupCoordinator(groupID: String, broker: Int32) {
        rd_kafka_mock_coordinator_set(cluster.pointer, "group", groupID, broker)
    }

    /// Moves a partition's leadership (`nil` leaves it without a leader).
    public func setPartitionLeader(topic: String, partition: Int32, broker: Int32?) {
        rd_kafka_mock_partition_set_leader(cluster.pointer, topic, partition, broker ?? -1)
    }
}

private struct SendableMockHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
