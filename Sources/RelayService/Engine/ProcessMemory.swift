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
    /// in use after a backlog drains instead of staying at its peak (glibc keeps freed pages;
    /// jemalloc purges its arenas).
    static func releaseFreedHeap() {
        relay_cshim_release_free_heap()
    }

    /// The allocator that serves this process's heap.
    public enum Allocator: String, Sendable {
        /// The relay's executable links jemalloc: ~10 % less relay CPU per order than glibc's
        /// malloc on the benchmark backlog at the same peak resident memory (benchmarks/HISTORY.md,
        /// eighth round).
        case jemalloc
        /// glibc's malloc: tests, tools and the benchmark harness, which do not link jemalloc.
        case glibc
    }

    /// Which allocator serves the heap (jemalloc when its `mallctl` is loaded).
    public static var allocator: Allocator { relay_cshim_heap_is_jemalloc() ? .jemalloc : .glibc }

    /// Sets the allocator up for a long-running relay; returns which one it is and whether the
    /// relay's settings are in effect. jemalloc reads its settings when it starts
    /// (`malloc_conf`, which only the executable defines, in CRelayJemallocSettings: two arenas,
    /// freed pages returned after a second from a background thread); `MALLOC_CONF` in the
    /// environment replaces them. glibc: arenas capped
    /// (``limitHeapArenas(_:)``) unless `MALLOC_ARENA_MAX` is set.
    @discardableResult
    public static func configureAllocator(preparationThreads: Int) -> (allocator: Allocator, tuned: Bool) {
        let allocator = allocator
        switch allocator {
        case .jemalloc:
            return (allocator, relay_cshim_jemalloc_uses_relay_settings())
        case .glibc:
            return (allocator, limitHeapArenas(max(2, preparationThreads)))
        }
    }

    /// Caps the allocator's per-thread heaps. glibc gives each thread that allocates its own arena
    /// (up to 8 per core); memory freed in one arena is not reused by another, so bytes allocated
    /// on the preparation threads and freed on the delivery threads leave resident memory well
    /// above what is in use. A few arenas keep contention low and resident memory near the
    /// budget's model. `MALLOC_ARENA_MAX` in the environment still wins (glibc reads it first);
    /// returns whether the cap was set here.
    @discardableResult
    public static func limitHeapArenas(_ arenas: Int) -> Bool {
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return false }
        relay_cshim_limit_heap_arenas(Int32(arenas))
        return true
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
