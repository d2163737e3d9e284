#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A 200 from Pinterest answers a batch of up to a thousand events with one status each
/// (`ConversionApiResponse.events`, ~65 bytes an event). When every one is `processed` there is
/// nothing to pick out of it, so the body is first scanned for exactly that, without building a
/// parse of it; anything the scan cannot vouch for goes to the full parse
/// (``PinterestDestination/perEventOutcome(_:eventCount:)``), which stays the definition.
enum PinterestResponseScan {
    /// Whether `body` certainly reports all `eventCount` events processed. It must be a JSON
    /// object with no backslash anywhere (so every `"` opens or closes a string), holding arrays
    /// of flat objects (strings, numbers, `null`), exactly `eventCount` of them, each with one
    /// `status` member, written `"status":"processed"`; no `status` member elsewhere and no
    /// string `failed`. Anything else — spacing around the colon, an escape, a nested object, a
    /// count that differs — answers `false`, and the caller parses.
    static func allProcessed(_ body: [UInt8], eventCount: Int) -> Bool {
        body.withUnsafeBytes { bytes in
            guard let start = bytes.baseAddress, bytes.first == UInt8(ascii: "{"),
                memchr(start, Int32(UInt8(ascii: "\\")), bytes.count) == nil
            else { return false }
            let end = start + bytes.count
            let processedStatus: StaticString = #""status":"processed""#
            var depth = 0
            var objects = 0  // objects in arrays in the root (the events)
            var eventHasStatus = false
            var cursor = start
            while cursor < end {
                switch cursor.load(as: UInt8.self) {
                case UInt8(ascii: "\""):
                    if matches(cursor, end, processedStatus) {
                        guard depth == 3, !eventHasStatus else { return false }
                        eventHasStatus = true
                        cursor += processedStatus.utf8CodeUnitCount
                        continue
                    }
                    if matches(cursor, end, #""status""#) || matches(cursor, end, #""failed""#) { return false }
                    guard let closing = memchr(cursor + 1, Int32(UInt8(ascii: "\"")), end - cursor - 1) else { return false }
                    cursor = UnsafeRawPointer(closing)
                case UInt8(ascii: "{"):
                    depth += 1
                    if depth == 3 {
                        objects += 1
                        eventHasStatus = false
                    } else if depth != 1 {
                        return false  // an object in the root's members, or nested in an event
                    }
                case UInt8(ascii: "["):
                    depth += 1
                    guard depth == 2 else { return false }
                case UInt8(ascii: "}"):
                    if depth == 3, !eventHasStatus { return false }
                    depth -= 1
                    if depth == 0 { return cursor + 1 == end && objects == eventCount }
                case UInt8(ascii: "]"):
                    depth -= 1
                default:
                    break
                }
                cursor += 1
            }
            return false
        }
    }

    /// Whether the bytes from `position` on begin with `pattern`.
    private static func matches(_ position: UnsafeRawPointer, _ end: UnsafeRawPointer, _ pattern: StaticString) -> Bool {
        let count = pattern.utf8CodeUnitCount
        return end - position >= count && memcmp(position, pattern.utf8Start, count) == 0
    }
}
