// The date-of-birth and gender rules [destinations.md §1 db, ge; §4 ge].
extension IdentityNormalizer {
    /// `YYYYMMDD` from `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, `MM/DD/YYYY` (US order, as Meta's
    /// example `2/16/1997` → `19970216`) and `DD.MM.YYYY` [§1 db].
    static func dateOfBirth(_ raw: String) throws(NormalizationError) -> String {
        let text = raw.trimmingWhitespace()
        let separators: Set<Character> = ["-", "/", "."]
        let parts = text.split(whereSeparator: { separators.contains($0) }).map(String.init)
        var year = 0
        var month = 0
        var day = 0
        if parts.count == 1, text.count == 8, let number = Int(text) {
            (year, month, day) = (number / 10_000, number / 100 % 100, number % 100)
        } else if parts.count == 3, let a = Int(parts[0]), let b = Int(parts[1]), let c = Int(parts[2]) {
            if parts[0].count == 4 {
                (year, month, day) = (a, b, c)
            } else if parts[2].count == 4 {
                if text.contains(".") || a > 12 { (day, month, year) = (a, b, c) } else { (month, day, year) = (a, b, c) }
            } else {
                throw NormalizationError("date of birth needs a four-digit year")
            }
        } else {
            throw NormalizationError("unrecognised date of birth format")
        }
        guard (1900...2100).contains(year), (1...12).contains(month), day >= 1,
            day <= RFC3339Calendar.daysInMonth(year: year, month: month)
        else { throw NormalizationError("impossible date of birth") }
        func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)\(pad(month))\(pad(day))"
    }

    /// `f` or `m` [§1 ge]; Pinterest also takes `n` [§4 ge].
    static func gender(_ raw: String, allowingUnspecified: Bool) throws(NormalizationError) -> String {
        switch raw.lowercased().trimmingWhitespace() {
        case "f", "female", "woman", "w": return "f"
        case "m", "male", "man": return "m"
        case "n", "non-binary", "nonbinary", "other":
            guard allowingUnspecified else { throw NormalizationError("gender must be f or m") }
            return "n"
        default: throw NormalizationError(allowingUnspecified ? "gender must be f, m or n" : "gender must be f or m")
        }
    }
}

enum RFC3339Calendar {
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
