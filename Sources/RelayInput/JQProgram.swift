import CJQ
import Synchronization

/// A compiled jq program (libjq 1.6, Debian's `libjq-dev`) behind a safe, thread-safe API.
///
/// A `jq_state` holds the compiled program and the interpreter's stacks, so one state runs one
/// input at a time. The program keeps a pool of idle states: a thread takes one (or compiles a new
/// one the first time more threads run at once than there are states), runs its record and puts
/// it back. The preparer's threads therefore never share a state, and the pool grows to the number
/// of threads that map records at once (the lock is held to pop or push one pointer only).
public final class JQProgram: Sendable {
    /// The program's source did not compile; `description` is jq's own message(s).
    public struct CompileError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Why running the program on one record gave no single object. The cases carry no jq
    /// message: jq's run-time errors quote the values they failed on, which may be personal data.
    public enum RunError: Error, Sendable, Equatable {
        /// libjq could not parse the record as JSON.
        case notJSON
        /// The program raised an error (`error(…)`, a type error, …).
        case raised
        /// The program produced no output (`empty`, a `select` that failed).
        case noOutput
        /// The program produced more than one output.
        case severalOutputs
        /// The program's output was not an object but this JSON type.
        case notAnObject(String)
    }

    private struct State: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    public let source: String
    private let idle: Mutex<[State]>

    /// Compiles `source`; throws with jq's messages when it does not compile.
    public init(source: String) throws(CompileError) {
        self.source = source
        let first = try Self.compile(source)
        self.idle = Mutex([first])
    }

    deinit {
        idle.withLock { states in
            for state in states {
                var pointer: OpaquePointer? = state.pointer
                jq_teardown(&pointer)
            }
            states.removeAll()
        }
    }

    /// How many compiled states the pool holds (for tests of the per-thread growth).
    public var compiledStates: Int { idle.withLock { $0.count } }

    /// Runs the program on `record` (JSON bytes): its one output, as compact JSON bytes.
    public func run(_ record: [UInt8]) -> Result<[UInt8], RunError> {
        let state: State
        if let reused = idle.withLock({ $0.popLast() }) {
            state = reused
        } else {
            // Compiled once already, so it compiles again; a failure here would be libjq running
            // out of memory.
            guard let fresh = try? Self.compile(source) else { return .failure(.raised) }
            state = fresh
        }
        defer { idle.withLock { $0.append(state) } }
        return Self.run(state.pointer, record)
    }

    private static func run(_ state: OpaquePointer, _ record: [UInt8]) -> Result<[UInt8], RunError> {
        guard !record.isEmpty else { return .failure(.notJSON) }
        let input = record.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { jv_parse_sized($0.baseAddress, Int32(buffer.count)) }
        }
        guard jv_get_kind(input) != JV_KIND_INVALID else {
            jv_free(input)
            return .failure(.notJSON)
        }
        jq_start(state, input, 0)  // consumes `input`
        let output = jq_next(state)
        guard jv_get_kind(output) != JV_KIND_INVALID else {
            // An invalid value with a message is an error; without one, the end of the outputs.
            let raised = jv_invalid_has_msg(output) != 0  // consumes `output`
            return .failure(raised ? .raised : .noOutput)
        }
        let second = jq_next(state)
        if jv_get_kind(second) != JV_KIND_INVALID {
            jv_free(second)
            jv_free(output)
            return .failure(.severalOutputs)
        }
        let secondRaised = jv_invalid_has_msg(second) != 0
        guard !secondRaised else {
            jv_free(output)
            return .failure(.raised)
        }
        let kind = jv_get_kind(output)
        guard kind == JV_KIND_OBJECT else {
            let name = String(cString: jv_kind_name(kind))
            jv_free(output)
            return .failure(.notAnObject(name))
        }
        let text = jv_dump_string(output, 0)  // consumes `output`
        defer { jv_free(text) }
        let length = Int(jv_string_length_bytes(jv_copy(text)))
        guard let characters = jv_string_value(text) else { return .success([]) }
        return .success(
            characters.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) })
    }

    /// Compiles `source` into a new state whose error messages are collected, not printed.
    private static func compile(_ source: String) throws(CompileError) -> State {
        guard let state = jq_init() else { throw CompileError(description: "libjq could not allocate its state") }
        let messages = MessageCollector()
        let context = Unmanaged.passUnretained(messages).toOpaque()
        jq_set_error_cb(state, collectMessage, context)
        let compiled = jq_compile(state, source) != 0
        // Run-time errors come back from jq_next as values; anything else reported later is
        // dropped rather than printed to standard error (it could quote a record's values).
        jq_set_error_cb(state, dropMessage, nil)
        guard compiled else {
            var pointer: OpaquePointer? = state
            jq_teardown(&pointer)
            let text = messages.lines.joined(separator: "; ")
            throw CompileError(description: text.isEmpty ? "the program does not compile" : text)
        }
        return State(pointer: state)
    }
}

/// Collects jq's compile messages (only during `jq_compile`, on the compiling thread).
private final class MessageCollector {
    var lines: [String] = []
}

private let collectMessage: jq_msg_cb = { context, message in
    let formatted = jq_format_error(message)  // consumes `message`
    if let context, let text = jv_string_value(formatted) {
        Unmanaged<MessageCollector>.fromOpaque(context).takeUnretainedValue().lines.append(String(cString: text))
    }
    jv_free(formatted)
}

private let dropMessage: jq_msg_cb = { _, message in jv_free(message) }
