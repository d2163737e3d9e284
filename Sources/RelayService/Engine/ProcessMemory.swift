import CRelayShims
import Foundation

/// A process's memory, for the memory budget (this process) and for the tests and benchmarks
/// that watch a relay child process.
public enum ProcessMemory {
    /// Resident memory now (`VmRSS`) and at its peak (`VmHWM`), in bytes.
    public struct Usage: Sendable {
        public var residentBytes: Int
        public var peakResidentBytes: Int
    }

    /// Hands freed heap pages back to the operating system, so resident memory follows what is
    /// in use after a backlog drains instead of staying at its peak (glibc keeps freed pages).
    static func releaseFreedHeap() {
        relay_cshim_release_free_heap()
    }

    /// Caps the allocator's per-thread heaps. glibc gives each thread that allocates its own arena
    /// (up to 8 per core); memory freed in one arena is not reused by another, so bytes allocated
    /// on the preparation threads and freed on the delivery threads leave resident memory well
    /// above what is in use. A few arenas keep contention low and resident memory near the
    /// budget's model. `MALLOC_ARENA_MAX` in the environment still wins (glibc reads it first).
    public static func limitHeapArenas(_ arenas: Int) {
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        relay_cshim_limit_heap_arenas(Int32(arenas))
    }

    /// Reads `/proc/<pid>/status` (`self` when `pid` is `nil`); `nil` off Linux or once the
    /// process is gone.
    public static func usage(pid: Int32? = nil) -> Usage? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid.map(String.init) ?? "self")/status", encoding: .utf8)
        else { return nil }
        func kilobytes(_ name: String) -> Int? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }?.split(separator: " ").compactMap { Int($0) }.first
        }
        guard let resident = kilobytes("VmRSS"), let peak = kilobytes("VmHWM") else { return nil }
        return Usage(residentBytes: resident * 1024, peakResidentBytes: peak * 1024)
    }
}
