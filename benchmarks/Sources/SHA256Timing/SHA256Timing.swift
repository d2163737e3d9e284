#if canImport(Glibc)
import Glibc
#endif
import RelayCrypto

/// What one SHA-256 digest of an identifier costs natively, through the relay's own path
/// (`SHA256.digest`, COpenSSL's shim, OpenSSL's block function with the CPU's SHA extensions where
/// it has them): thread CPU time per digest, best of `--rounds` rounds of `--digests` digests, for
/// inputs of 16, 32, 48 and 64 bytes (identifiers are 5–60 bytes). Compare with
/// `openssl speed -evp sha256 -bytes N`, and with `OPENSSL_ia32cap=":~0x20000000"` in the
/// environment to see the cost without the SHA extensions. Not run by any test: a measurement.
///
/// With `--step-markers` it times nothing: it raises SIGUSR2 around one digest of 16 bytes (one
/// block) and one of 64 bytes (two), for `instruction-steps` to count what each executes natively
/// (`scripts/hot-path-instructions.sh` uses it; without a tracer the signal ends the process).
@main
enum SHA256Timing {
    static func main() {
        var digests = 2_000_000
        var rounds = 5
        var stepMarkers = false
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--digests": digests = arguments.next().flatMap { Int($0) } ?? digests
            case "--rounds": rounds = arguments.next().flatMap { Int($0) } ?? rounds
            case "--step-markers": stepMarkers = true
            default:
                print("usage: sha256-timing [--digests N] [--rounds N] | --step-markers")
                return
            }
        }
        var input = [UInt8](repeating: 0, count: 64)
        for index in input.indices { input[index] = UInt8(truncatingIfNeeded: index &* 7 &+ 3) }
        var sink = 0
        let reference = SHA256.digest("")
        if stepMarkers {
            markDigests(of: input, reference: reference)
            return
        }
        for size in [16, 32, 48, 64] {
            var best = Double.infinity
            for _ in 0..<rounds {
                let start = threadCPUSeconds()
                input.withUnsafeMutableBytes { bytes in
                    let value = UnsafeRawBufferPointer(rebasing: bytes[0..<size])
                    for iteration in 0..<digests {
                        bytes[0] = UInt8(truncatingIfNeeded: iteration)
                        if SHA256.digest(value) == reference { sink &+= 1 }
                    }
                }
                best = min(best, (threadCPUSeconds() - start) / Double(digests))
            }
            print("\(size) bytes: \(formatted(best * 1e9)) ns per digest")
        }
        if sink == 42 { print("") }
    }

    /// One digest of 16 bytes and one of 64, each between two SIGUSR2 markers, after a warm-up
    /// digest of each (so lazy binding and first-use set-up fall outside the spans).
    static func markDigests(of input: [UInt8], reference: SHA256Digest) {
        var sink = 0
        input.withUnsafeBytes { bytes in
            for size in [16, 64] {
                let value = UnsafeRawBufferPointer(rebasing: bytes[0..<size])
                if SHA256.digest(value) == reference { sink &+= 1 }
                raise(SIGUSR2)
                if SHA256.digest(value) == reference { sink &+= 1 }
                raise(SIGUSR2)
            }
        }
        if sink == -1 { print("") }
    }

    static func formatted(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
