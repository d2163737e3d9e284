import Foundation
import RelayService

/// A relay instance as a child process, and what `/proc` says about it.
final class ChildProcess {
    let process: Process
    let log: URL

    /// Wraps a started process whose output goes to `log`.
    init(process: Process, log: URL) {
        self.process = process
        self.log = log
    }

    var pid: Int32 { process.processIdentifier }

    /// User plus system CPU seconds so far (`/proc/<pid>/stat` fields 14 and 15).
    var cpuSeconds: Double { Self.cpuSeconds(stat: "/proc/\(pid)/stat") }

    /// The harness's own CPU seconds so far: its mock brokers, sandbox and delivery tracker share
    /// the machine with the relays, so each run reports what they took too.
    static var harnessCPUSeconds: Double { cpuSeconds(stat: "/proc/self/stat") }

    private static func cpuSeconds(stat path: String) -> Double {
        guard let stat = try? String(contentsOfFile: path, encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory now and at its peak, in MiB (`VmRSS`, `VmHWM`).
    var residentMegabytes: (current: Double, peak: Double) {
        guard let usage = ProcessMemory.usage(pid: pid) else { return (0, 0) }
        return (Double(usage.residentBytes) / 1_048_576, Double(usage.peakResidentBytes) / 1_048_576)
    }

    /// SIGTERM, then wait; returns the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            kill(pid, SIGTERM)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }
}
