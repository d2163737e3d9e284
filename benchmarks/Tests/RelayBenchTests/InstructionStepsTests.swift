import CInstructionSteps
import Foundation
import Testing

/// `instruction-steps`, which counts what OpenSSL's SHA-256 executes natively for
/// `make bench-hot-path`: traced on `sha256-timing --step-markers` (one digest of one block, then
/// one of two, each between markers).
@Suite struct InstructionStepsTests {
    /// `sha256-timing`, built beside this test bundle (a dependency of the test target).
    static let sha256Timing = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("sha256-timing").path

    static func spans(object: String?, arguments: [String] = ["--step-markers"]) -> (spans: [UInt64], status: Int32) {
        var counts = [UInt64](repeating: 0, count: 8)
        var status: Int32 = 0
        var argv: [UnsafeMutablePointer<CChar>?] = ([sha256Timing] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spans = argv.withUnsafeMutableBufferPointer { argv in
            counts.withUnsafeMutableBufferPointer { relay_instruction_steps(argv.baseAddress, object, $0.baseAddress, 8, &status) }
        }
        return (Array(counts.prefix(max(0, Int(spans)))), status)
    }

    @Test func eachMarkedSpanIsCountedAndOnlyInTheObjectAsked() throws {
        let inLibcrypto = Self.spans(object: "libcrypto")
        #expect(inLibcrypto.status == 0)
        try #require(inLibcrypto.spans.count == 2, "one span per pair of markers")
        let (oneBlock, twoBlocks) = (Int(inLibcrypto.spans[0]), Int(inLibcrypto.spans[1]))
        // The second digest runs the block function once more than the first: what that adds is a
        // block (~200 instructions with the SHA extensions, ~2,000 without), and what is left
        // (SHA256_Init, a few instructions) is the same in both spans.
        let block = twoBlocks - oneBlock
        let initialisation = oneBlock - block
        #expect(block >= 100 && block <= 4_000)
        #expect(initialisation > 0 && initialisation <= 64)

        // Unfiltered, the relay's own wrapper around OpenSSL is counted too.
        let everything = Self.spans(object: nil)
        try #require(everything.spans.count == 2)
        #expect(Int(everything.spans[0]) > oneBlock + 50)
        #expect(Int(everything.spans[1]) > twoBlocks + 50)
    }

    @Test func aProgramWithoutMarkersHasNoSpansAndOneThatCannotStartFails() {
        // Its usage line, then a normal exit: no spans, a clean status.
        let unmarked = Self.spans(object: nil, arguments: ["--no-such-option"])
        #expect(unmarked.spans.isEmpty)
        #expect(unmarked.status == 0)
        // A program that cannot be executed: the child exits with 127 before any trace stop.
        var status: Int32 = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [strdup("/nonexistent/program"), nil]
        defer { free(argv[0]) }
        let spans = argv.withUnsafeMutableBufferPointer { relay_instruction_steps($0.baseAddress, nil, nil, 0, &status) }
        #expect(spans == -1)
        #expect((status >> 8) & 0xff == 127)
    }
}
