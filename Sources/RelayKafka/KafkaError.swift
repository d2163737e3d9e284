import CRelayShims
import Crdkafka

/// An error from librdkafka or from our use of it.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// A configuration property was rejected; the message names it.
        case configuration
        /// A librdkafka call failed; ``rdKafkaCode`` holds its error code.
        case underlying
        /// The client is closed.
        case closed
    }

    public let code: Code
    public let message: String
    /// librdkafka's `rd_kafka_resp_err_t`, when there is one.
    public let rdKafkaCode: Int32?

    public init(code: Code, message: String, rdKafkaCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.rdKafkaCode = rdKafkaCode
    }

    init(_ error: rd_kafka_resp_err_t, context: String) {
        self.init(
            code: .underlying, message: "\(context): \(String(cString: rd_kafka_err2str(error)))",
            rdKafkaCode: error.rawValue)
    }

    public var description: String { message }

    /// True when an offset store failed because the partition is not (or no longer) assigned to
    /// this member: librdkafka answers `__STATE` or `__UNKNOWN_PARTITION` (rdkafka.h,
    /// `rd_kafka_offsets_store`). Expected for late completions after a revoke.
    public var isPartitionNotAssigned: Bool {
        rdKafkaCode == RDKafkaCode.state || rdKafkaCode == RDKafkaCode.unknownPartition
    }

    /// librdkafka error codes the relay reacts to, by name (callers never import the C module).
    public enum RDKafkaCode {
        public static let noError: Int32 = 0
        public static let state: Int32 = RD_KAFKA_RESP_ERR__STATE.rawValue
        public static let unknownPartition: Int32 = RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue
        public static let fatal: Int32 = RD_KAFKA_RESP_ERR__FATAL.rawValue
        public static let maxPollExceeded: Int32 = RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED.rawValue
        public static let transport: Int32 = RD_KAFKA_RESP_ERR__TRANSPORT.rawValue
        public static let allBrokersDown: Int32 = RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue
        public static let messageTimedOut: Int32 = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue
        public static let messageSizeTooLarge: Int32 = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue
        public static let rebalanceInProgress: Int32 = RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue
        public static let illegalGeneration: Int32 = RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION.rawValue
        public static let unknownMemberID: Int32 = RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID.rawValue
        public static let requestTimedOut: Int32 = RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue
        public static let notCoordinator: Int32 = RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue
        public static let notLeaderForPartition: Int32 = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue
    }
}
