import Foundation
import Logging
import RelayCore
import Synchronization

/// Writes one JSON object per log line to standard error:
/// `{"timestamp":"…","level":"info","logger":"conversion-relay","message":"…", <metadata>…}`.
///
/// Metadata values are written as strings. The relay's log calls carry order ids, event ids,
/// partitions and reasons, never identifiers or tokens (raw PII types print `<redacted>`).
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private static let output = Mutex<FileHandle>(FileHandle.standardError)

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var writer = JSONWriter(reservingCapacity: 256)
        writer.beginObject()
        writer.key("timestamp"); writer.string(Self.timestamp())
        writer.key("level"); writer.string(event.level.rawValue)
        writer.key("logger"); writer.string(label)
        writer.key("message"); writer.string("\(event.message)")
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for key in merged.keys.sorted() where !["timestamp", "level", "logger", "message"].contains(key) {
            writer.key(dynamic: key)
            writer.string("\(merged[key]!)")
        }
        writer.endObject()
        var line = writer.bytes
        line.append(0x0A)
        Self.output.withLock { $0.write(Data(line)) }
    }

    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return timestamp(epochSeconds: Int64(spec.tv_sec), nanoseconds: Int(spec.tv_nsec))
    }

    /// `2026-11-27T09:45:31.042Z`: RFC 3339 in UTC with milliseconds.
    static func timestamp(epochSeconds: Int64, nanoseconds: Int) -> String {
        let millis = nanoseconds / 1_000_000
        let base = RFC3339.format(epochSeconds: epochSeconds)
        // Three digits by hand: `String(format:)` cost tens of microseconds per line, which a
        // burst of malformed events (one warning each) turned into a noticeable share of the CPU.
        let digits = [millis / 100, millis / 10 % 10, millis % 10].map { Character(String($0)) }
        return String(base.dropLast()) + "." + String(digits) + "Z"
    }
}
