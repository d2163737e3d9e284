/// RFC 3339 `date-time` parsing without Foundation formatters (hot path).
public enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `nil` when the text is not a valid instant
    /// (including impossible dates such as February 30).
    public static func parse(_ text: String) -> Timestamp? {
        var text = text
        guard let seconds = text.withUTF8(epochSeconds) else { return nil }
        return Timestamp(epochSeconds: seconds, rfc3339: text)
    }

    /// The instant UTF-8 `bytes` spell as ``parse(_:)`` reads them, in seconds since the Unix
    /// epoch (rounded down); `nil` when they are not a valid instant.
    static func epochSeconds(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count >= 20 else { return nil }
        // In line at each of its calls: at most four digits, so no overflow to check.
        @inline(__always)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for index in start..<start + count {
                let digit = bytes[index] &- 0x30
                guard digit <= 9 else { return nil }
                value = value &* 10 &+ Int(digit)
            }
            return value
        }
        guard let year = digits(0, 4), bytes[4] == UInt8(ascii: "-"), let month = digits(5, 2),
            bytes[7] == UInt8(ascii: "-"), let day = digits(8, 2),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            let hour = digits(11, 2), bytes[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
            bytes[16] == UInt8(ascii: ":"), let second = digits(17, 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month), hour <= 23,
            minute <= 59, second <= 59
        else { return nil }
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = bytes[index] == UInt8(ascii: "+") ? 1 : -1
            guard let offsetHour = digits(index + 1, 2), index + 3 < bytes.count,
                bytes[index + 3] == UInt8(ascii: ":"), let offsetMinute = digits(index + 4, 2),
                offsetHour <= 23, offsetMinute <= 59
            else { return nil }
            offsetSeconds = sign * (offsetHour * 3600 + offsetMinute * 60)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
    }

    /// Formats epoch seconds as `YYYY-MM-DDTHH:MM:SSZ`.
    ///
    /// Years 0–9999 (every instant ``parse(_:)`` accepts) are written digit by digit into the
    /// string's own storage (``write(epochSeconds:to:)``): one allocation, no intermediate strings.
    public static func format(epochSeconds: Int64) -> String {
        var fits = true
        let text = String(unsafeUninitializedCapacity: formattedCount) { text in
            fits = write(epochSeconds: epochSeconds, to: text.baseAddress!)
            return fits ? formattedCount : 0
        }
        guard fits else {
            let days = Int(epochSeconds.floorDiv(86_400))
            let (year, month, day) = civilFromDays(days)
            return formatPadded(year: year, month: month, day: day, secondsOfDay: Int(epochSeconds - Int64(days) * 86_400))
        }
        return text
    }

    /// The length of ``format(epochSeconds:)``'s text for years 0–9999.
    static let formattedCount = 20

    /// Writes ``format(epochSeconds:)``'s text, ``formattedCount`` bytes, at `target` and returns
    /// `true` when the year is in 0–9999; returns `false` and writes nothing otherwise. The JSON
    /// writer formats Google's event time in place with it (``JSONWriter/timestampContents(epochSeconds:)``).
    @inline(__always)
    static func write(epochSeconds: Int64, to target: UnsafeMutablePointer<UInt8>) -> Bool {
        let days = Int(epochSeconds.floorDiv(86_400))
        let secondsOfDay = Int(epochSeconds - Int64(days) * 86_400)
        let (year, month, day) = civilFromDays(days)
        guard (0...9999).contains(year) else { return false }
        @inline(__always)
        func put(_ value: Int, _ width: Int, at offset: Int) {
            var value = value
            for position in (offset..<offset + width).reversed() {
                target[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
                value /= 10
            }
        }
        put(year, 4, at: 0)
        target[4] = UInt8(ascii: "-")
        put(month, 2, at: 5)
        target[7] = UInt8(ascii: "-")
        put(day, 2, at: 8)
        target[10] = UInt8(ascii: "T")
        put(secondsOfDay / 3600, 2, at: 11)
        target[13] = UInt8(ascii: ":")
        put(secondsOfDay / 60 % 60, 2, at: 14)
        target[16] = UInt8(ascii: ":")
        put(secondsOfDay % 60, 2, at: 17)
        target[19] = UInt8(ascii: "Z")
        return true
    }

    /// Years outside 0–9999: each part zero-padded to its width, wider when it needs to be.
    private static func formatPadded(year: Int, month: Int, day: Int, secondsOfDay: Int) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondsOfDay / 3600, 2)):"
            + "\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2))Z"
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    fileprivate func floorDiv(_ divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
