import RelayCore

/// ISO 3166-1 countries by alpha-2, alpha-3 and English name (the data is generated into
/// `CountryTable+ISO3166.swift`). Calling codes and trunk prefixes come from libphonenumber.
enum CountryTable {
    /// A country's codes as bytes, no `String` held: trivially copyable, so reading one (the
    /// context's country, several times an order) retains and releases nothing.
    struct Country: Sendable, Equatable {
        /// The alpha-2 code's two ASCII bytes (lower case), the first in the low byte: what the
        /// byte rules write and test.
        let alpha2Bytes: UInt16
        /// The alpha-3 code's three ASCII bytes (lower case), the first in the low byte.
        let alpha3Bytes: UInt32

        init(alpha2: String, alpha3: String) {
            let two = Array(alpha2.utf8), three = Array(alpha3.utf8)
            precondition(two.count == 2 && two.allSatisfy { $0 < 0x80 }, "an alpha-2 code of two ASCII letters")
            precondition(three.count == 3 && three.allSatisfy { $0 < 0x80 }, "an alpha-3 code of three ASCII letters")
            alpha2Bytes = UInt16(two[0]) | UInt16(two[1]) << 8
            alpha3Bytes = UInt32(three[0]) | UInt32(three[1]) << 8 | UInt32(three[2]) << 16
        }

        /// The alpha-2 code (lower case), made from its bytes: for the rules on `String`.
        var alpha2: String {
            String(decoding: [UInt8(truncatingIfNeeded: alpha2Bytes), UInt8(truncatingIfNeeded: alpha2Bytes >> 8)], as: UTF8.self)
        }

        /// The alpha-3 code (lower case), made from its bytes.
        var alpha3: String {
            String(decoding: (0..<3).map { UInt8(truncatingIfNeeded: alpha3Bytes >> (8 * $0)) }, as: UTF8.self)
        }

        /// Whether this is the United States (whose state and ZIP code rules differ).
        var isUnitedStates: Bool { alpha2Bytes == CountryTable.unitedStatesAlpha2Bytes }
    }

    /// ``Country/alpha2Bytes`` of the United States, `us`.
    static var unitedStatesAlpha2Bytes: UInt16 { UInt16(UInt8(ascii: "u")) | UInt16(UInt8(ascii: "s")) << 8 }

    /// The ``byAlpha2`` index of an alpha-2 code's two lower-case letters held as
    /// ``Country/alpha2Bytes`` are (the first in the low byte).
    @inline(__always)
    static func alpha2Index(bytes: UInt16) -> Int {
        (Int(truncatingIfNeeded: bytes & 0xFF) &- 0x61) &* 26 &+ (Int(truncatingIfNeeded: bytes >> 8) &- 0x61)
    }

    static let byKey: [String: Country] = {
        var map: [String: Country] = [:]
        for row in iso3166 {
            let country = Country(alpha2: row.alpha2, alpha3: row.alpha3)
            map[row.alpha2] = country
            map[row.alpha3] = country
            for name in row.names where map[name] == nil { map[name] = country }
        }
        return map
    }()

    /// ``byKey`` by the keys' bytes, for ``lookup(ascii:)``: ASCII text equals a key as a `String`
    /// exactly when their bytes are equal.
    static let byKeyBytes = ByteKeyTable(byKey)

    /// Countries by alpha-2 code, at `(first letter) * 26 + (second letter)`, `a` being 0.
    private static let byAlpha2: [Country?] = {
        var table = [Country?](repeating: nil, count: 26 * 26)
        for row in iso3166 {
            guard let index = alpha2Index(row.alpha2) else { preconditionFailure("an alpha-2 code of two letters") }
            table[index] = Country(alpha2: row.alpha2, alpha3: row.alpha3)
        }
        return table
    }()

    /// Looks a country up by alpha-2, alpha-3 or English name, ignoring case and extra spaces.
    static func lookup(_ text: String) -> Country? {
        // Two letters (the usual `customer.country`): a table index, no folded key to hash. Two
        // letters that are not a code (a name such as "uk") go on to the names.
        if let pair = alpha2Index(text), let country = byAlpha2[pair] { return country }
        if let folded = asciiFolded(text) { return byKey[folded] }
        let folded = text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return byKey[folded]
    }

    /// ``lookup(_:)`` for UTF-8 bytes that are all ASCII, read in place (the code) or folded on
    /// the stack into the table's key (a name or alpha-3 code), without a `String` of the value;
    /// `.none` when a byte is not ASCII (the caller looks the text up as a `String`).
    static func lookup(ascii bytes: UnsafeBufferPointer<UInt8>) -> Country?? {
        if let country = alpha2Country(bytes) { return country }
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return .none }
        let found: Country? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(bytes.count, 1)) { folded in
            // As asciiFolded: lowercase, whitespace runs as one space, trimmed.
            var count = 0
            var pendingSpace = false
            for byte in bytes {
                if LatinRules.isASCIIWhitespace(byte) {
                    pendingSpace = count > 0
                    continue
                }
                if pendingSpace {
                    folded[count] = 0x20
                    count += 1
                    pendingSpace = false
                }
                folded[count] = LatinRules.lowercased(byte)
                count += 1
            }
            return byKeyBytes.value(forKey: UnsafeBufferPointer(rebasing: folded[0..<count]))
        }
        return .some(found)
    }

    /// The country whose alpha-2 code `bytes` spell (either case); `nil` for anything else,
    /// which ``lookup(_:)`` may still find by name (`uk`).
    static func alpha2Country(_ bytes: UnsafeBufferPointer<UInt8>) -> Country? {
        guard bytes.count == 2, let index = alpha2Index(bytes[0], bytes[1]) else { return nil }
        return byAlpha2[index]
    }

    /// The ``byAlpha2`` index of exactly two ASCII letters (either case); `nil` for anything else.
    static func alpha2Index(_ text: String) -> Int? {
        let utf8 = text.utf8
        guard utf8.count == 2 else { return nil }
        return alpha2Index(utf8.first!, utf8[utf8.index(after: utf8.startIndex)])
    }

    /// The ``byAlpha2`` index of the letters `first` and `second` (either case); `nil` when either
    /// is not an ASCII letter.
    @inline(__always)
    private static func alpha2Index(_ first: UInt8, _ second: UInt8) -> Int? {
        let first = first | 0x20, second = second | 0x20
        let letters = UInt8(ascii: "a")...UInt8(ascii: "z")
        guard letters.contains(first), letters.contains(second) else { return nil }
        return Int(first - UInt8(ascii: "a")) * 26 + Int(second - UInt8(ascii: "a"))
    }

    /// The lookup key of ASCII text (lowercase, whitespace runs as one space, trimmed) byte by
    /// byte; `nil` for other text, which takes the Unicode path.
    private static func asciiFolded(_ text: String) -> String? {
        ScratchBytes.with(capacity: text.utf8.count) { bytes -> String? in
            var pendingSpace = false
            for byte in text.utf8 {
                guard byte < 0x80 else { return nil }
                if LatinRules.isASCIIWhitespace(byte) {
                    pendingSpace = bytes.count > 0
                    continue
                }
                if pendingSpace {
                    bytes.append(0x20)
                    pendingSpace = false
                }
                bytes.append(LatinRules.lowercased(byte))
            }
            return bytes.string()
        }
    }
}

/// United States states and territories by name → USPS code.
enum USStates {
    static let codes: [String: String] = [
        "alabama": "al", "alaska": "ak", "arizona": "az", "arkansas": "ar", "california": "ca", "colorado": "co",
        "connecticut": "ct", "delaware": "de", "district of columbia": "dc", "florida": "fl", "georgia": "ga",
        "hawaii": "hi", "idaho": "id", "illinois": "il", "indiana": "in", "iowa": "ia", "kansas": "ks",
        "kentucky": "ky", "louisiana": "la", "maine": "me", "maryland": "md", "massachusetts": "ma",
        "michigan": "mi", "minnesota": "mn", "mississippi": "ms", "missouri": "mo", "montana": "mt",
        "nebraska": "ne", "nevada": "nv", "new hampshire": "nh", "new jersey": "nj", "new mexico": "nm",
        "new york": "ny", "north carolina": "nc", "north dakota": "nd", "ohio": "oh", "oklahoma": "ok",
        "oregon": "or", "pennsylvania": "pa", "rhode island": "ri", "south carolina": "sc", "south dakota": "sd",
        "tennessee": "tn", "texas": "tx", "utah": "ut", "vermont": "vt", "virginia": "va", "washington": "wa",
        "west virginia": "wv", "wisconsin": "wi", "wyoming": "wy", "puerto rico": "pr", "guam": "gu",
    ]
    static let validCodes = Set(codes.values)
    /// ``codes`` and ``validCodes`` by their bytes, for the byte rules.
    static let codeBytes = ByteKeyTable(codes)
    static let validCodeBytes = ByteKeyTable(Dictionary(uniqueKeysWithValues: validCodes.map { ($0, true) }))
}

extension String {
    /// The text without leading and trailing Unicode whitespace (`White_Space`: ASCII's tab,
    /// line feed, vertical tab, form feed, carriage return and space, plus U+0085, U+00A0,
    /// U+2000–U+200A and others).
    func trimmingWhitespace() -> String {
        // ASCII fast path: nothing to trim when both ends are visible ASCII.
        if let (first, last) = utf8Ends, first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return self }
        // ASCII whitespace trimmed byte by byte, in place; only when what is left starts or ends
        // with a non-ASCII byte (possibly Unicode whitespace such as U+00A0) does the scalar walk
        // below decide (asking every scalar for its `isWhitespace` property is slow on values
        // padded with spaces).
        let asciiTrimmed = utf8.withContiguousStorageIfAvailable { bytes -> String? in
            var start = 0
            var end = bytes.count
            while start < end, Self.isASCIIWhitespace(bytes[start]) { start += 1 }
            while end > start, Self.isASCIIWhitespace(bytes[end - 1]) { end -= 1 }
            guard start < end else { return "" }
            guard bytes[start] < 0x80, bytes[end - 1] < 0x80 else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
        if let asciiTrimmed, let trimmed = asciiTrimmed { return trimmed }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }

    /// Tab, line feed, vertical tab, form feed, carriage return and space: the ASCII characters
    /// with Unicode's `White_Space` property.
    @inline(__always)
    private static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
    }
}
