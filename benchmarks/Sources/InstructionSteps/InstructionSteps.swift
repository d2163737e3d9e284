#if canImport(Glibc)
import Glibc
#endif
import CInstructionSteps

/// Counts the instructions this CPU executes, natively, in the spans a program marks by raising
/// SIGUSR2 (start, end), by single-stepping it under ptrace: one figure per span. For code that
/// valgrind cannot run as the CPU does (OpenSSL's SHA-256 with the SHA extensions, which callgrind
/// replaces by the software block function), and where this machine's hardware counters are not
/// available (`perf stat -e instructions` is `<not supported>` in this VM). Each step is a trap,
/// ~20 µs here, so it is for spans of thousands of instructions, not for whole runs.
///
/// Usage: `instruction-steps [--object NAME] COMMAND [ARGUMENTS...]`; with `--object`, only
/// instructions in the executable mappings of files whose path contains NAME are counted.
@main
enum InstructionSteps {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var object: String? = nil
        if arguments.first == "--object", arguments.count >= 2 {
            object = arguments[1]
            arguments.removeFirst(2)
        }
        guard !arguments.isEmpty else {
            fail("usage: instruction-steps [--object NAME] COMMAND [ARGUMENTS...]", code: 2)
        }
        var counts = [UInt64](repeating: 0, count: 64)
        var status: Int32 = 0
        let spans = withCStrings(arguments) { argv in
            counts.withUnsafeMutableBufferPointer { buffer in
                relay_instruction_steps(argv, object, buffer.baseAddress, Int32(buffer.count), &status)
            }
        }
        guard spans >= 0 else {
            fail("instruction-steps: cannot trace \(arguments[0]): \(String(cString: strerror(errno)))")
        }
        for span in 0..<min(Int(spans), counts.count) {
            print("span \(span + 1): \(counts[span]) instructions")
        }
        // The child's own exit status, so a failing program fails this command too.
        if (status & 0x7f) != 0 || ((status >> 8) & 0xff) != 0 {
            fail("instruction-steps: \(arguments[0]) did not exit cleanly (status \(status))")
        }
    }

    static func fail(_ message: String, code: Int32 = 1) -> Never {
        let line = message + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        exit(code)
    }

    /// Calls `body` with a NULL-terminated C array of `strings`, valid for the call.
    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
