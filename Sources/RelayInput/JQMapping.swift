import RelayCore

/// A record of any shape turned into the native contract by the operator's jq program.
///
/// The program gets the record and must produce exactly one object: the native event. What it
/// produces goes through the contract like a native record, so a field it leaves out or gets
/// wrong is named by its contract path (`/currency`), the path in the program's output. jq's own
/// run-time messages are not passed on: they quote the values they failed on.
public struct JQMapping: InputMapping {
    public var format: InputFormat { .jq }
    public let program: JQProgram

    /// Compiles `program` (at start-up: a program that does not compile stops the relay).
    public init(program source: String) throws(JQProgram.CompileError) {
        self.program = try JQProgram(source: source)
    }

    public func sourcePath(forContractPath path: String) -> String { path }

    public func contractBytes(from record: [UInt8]) throws(OrderEventDecodingError) -> [UInt8] {
        switch program.run(record) {
        case .success(let bytes):
            return bytes
        case .failure(.notJSON):
            // Let the relay's own parser say where and why (libjq's message may quote the text).
            do {
                _ = try JSONParser().parse(record)
            } catch {
                throw OrderEventDecodingError(kind: .malformedJSON, path: "", reason: error.description)
            }
            throw OrderEventDecodingError(kind: .malformedJSON, path: "", reason: "not JSON that jq 1.6 reads")
        case .failure(.raised):
            throw OrderEventDecodingError(
                kind: .schemaViolation, path: "", reason: "the jq program raised an error (jq's message is withheld: it may quote values)")
        case .failure(.noOutput):
            throw OrderEventDecodingError(kind: .schemaViolation, path: "", reason: "the jq program produced no output")
        case .failure(.severalOutputs):
            throw OrderEventDecodingError(kind: .schemaViolation, path: "", reason: "the jq program produced more than one output")
        case .failure(.notAnObject(let kind)):
            throw OrderEventDecodingError(kind: .schemaViolation, path: "", reason: "the jq program's output must be an object, not \(kind)")
        }
    }
}
