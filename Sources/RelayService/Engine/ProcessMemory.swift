import CRelayShims
import Foundation

/// The relay process's own memory, for the memory budget.
enum ProcessMemory {
    /// Hands freed heap pages back to the operating system, so resident memory follows what is
    /// in use after a backlog drains instead of staying at its peak (glibc keeps freed pages).
    static func releaseFreedHeap() {
        relay_cshim_release_free_heap()
    }

    /// Resident memory now (`VmRSS` of `/proc/self/status`), in bytes; `nil` off Linux.
    static func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = line.split(separator: " ").compactMap({ Int($0) }).first
        else { return nil }
        return kilobytes * 1024
    }
}
