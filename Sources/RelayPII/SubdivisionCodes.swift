/// States and provinces as ISO 3166-2 subdivision codes, for platforms that ask for a code
/// (Pinterest's `st`: "two-letter code", pinterest/api-description v5/openapi.yaml), in the
/// countries whose code is what addresses carry (the keys of ``table``, generated into
/// `SubdivisionTable+ISO3166-2.swift` by scripts/generate-subdivision-table.py).
enum SubdivisionCodes {
    /// The subdivision part of the ISO 3166-2 code, lower case (`Bayern`, `BY`, `DE-BY` → `by`),
    /// or `nil` when the country is not mapped or the text names none of its subdivisions.
    static func code(_ raw: String, country: String) -> String? {
        guard let subdivisions = table[country] else { return nil }
        return code(raw, country: country, in: subdivisions)
    }

    /// ``code(_:country:)`` with the country's table already looked up.
    static func code(_ raw: String, country: String, in subdivisions: [String: String]) -> String? {
        // ASCII (nearly every value): the key byte by byte, no lower-cased copy or scalar walk
        // (callgrind of `relay-hot-path`: ~3,000 instructions per order through the general path).
        if let attempt = raw.utf8.withContiguousStorageIfAvailable({ asciiKey($0, country: country) }), let key = attempt {
            return subdivisions[key]
        }
        var text = raw.lowercased()
        // `DE-BY`: the full ISO 3166-2 code.
        if text.utf8.count > 3, text.hasPrefix(country + "-") { text.removeFirst(3) }
        let key = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.isAlphabetic }))
        return subdivisions[key]
    }

    /// ``table`` by the country's ``CountryTable/alpha2Index(_:)``: the byte path's lookup, with no
    /// code to hash.
    static let byAlpha2Index: [[String: String]?] = {
        var tables = [[String: String]?](repeating: nil, count: 26 * 26)
        for (alpha2, subdivisions) in table {
            guard let index = CountryTable.alpha2Index(alpha2) else { preconditionFailure("an alpha-2 code of two letters") }
            tables[index] = subdivisions
        }
        return tables
    }()

    /// ``table``'s entry for `alpha2` (a lower-case code, as ``CountryTable/Country/alpha2`` is).
    static func subdivisions(ofAlpha2 alpha2: String) -> [String: String]? {
        guard let index = CountryTable.alpha2Index(alpha2) else { return nil }
        return byAlpha2Index[index]
    }

    /// ``table``'s entry for the code of ``CountryTable/Country/alpha2Bytes`` `alpha2` (two
    /// lower-case letters).
    static func subdivisions(ofAlpha2Bytes alpha2: UInt16) -> [String: String]? {
        byAlpha2Index[CountryTable.alpha2Index(bytes: alpha2)]
    }

    /// ``byAlpha2Index``'s tables by their keys' bytes (``code(ascii:countryBytes:in:)``).
    static let keyBytesByAlpha2Index: [ByteKeyTable<String>?] = byAlpha2Index.map { $0.map(ByteKeyTable.init) }

    /// ``keyBytesByAlpha2Index``'s entry for the code of ``CountryTable/Country/alpha2Bytes`` `alpha2`.
    static func keyBytes(ofAlpha2Bytes alpha2: UInt16) -> ByteKeyTable<String>? {
        keyBytesByAlpha2Index[CountryTable.alpha2Index(bytes: alpha2)]
    }

    /// The code `subdivisions` (a country's ``keyBytes(ofAlpha2Bytes:)``) holds for the key of
    /// `bytes` (``asciiKey(_:countryBytes:)``'s letters, made on the stack), `.some(nil)` when it
    /// holds none; `nil` when `bytes` is not ASCII (the general path decides).
    static func code(ascii bytes: UnsafeBufferPointer<UInt8>, countryBytes: UInt16, in subdivisions: ByteKeyTable<String>) -> String?? {
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        let start = prefixLength(bytes, countryBytes: countryBytes)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(bytes.count, 1)) { key in
            let count = letters(of: UnsafeBufferPointer(rebasing: bytes[start...]), into: key.baseAddress!)
            return .some(subdivisions.value(forKey: UnsafeBufferPointer(start: key.baseAddress!, count: count)))
        }
    }

    /// 3 when `bytes` start with `<country>-` (either case) and have more after it, else 0.
    @inline(__always)
    private static func prefixLength(_ bytes: UnsafeBufferPointer<UInt8>, countryBytes: UInt16) -> Int {
        bytes.count > 3 && bytes[2] == UInt8(ascii: "-") && bytes[0] | 0x20 == UInt8(truncatingIfNeeded: countryBytes)
            && bytes[1] | 0x20 == UInt8(truncatingIfNeeded: countryBytes >> 8) ? 3 : 0
    }

    /// Writes the letters of ASCII `bytes`, lower case, at `target` and returns how many.
    @inline(__always)
    private static func letters(of bytes: UnsafeBufferPointer<UInt8>, into target: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        for byte in bytes {
            // `byte | 0x20` is a lower-case letter exactly when `byte` is a letter.
            let lower = byte | 0x20
            if lower >= UInt8(ascii: "a"), lower <= UInt8(ascii: "z") {
                target[count] = lower
                count += 1
            }
        }
        return count
    }

    /// The letters of `bytes`, lower case, after a leading `<country>-`; `nil` when `bytes` is not
    /// ASCII (the general path decides).
    static func asciiKey(_ bytes: UnsafeBufferPointer<UInt8>, country: String) -> String? {
        let code = Array(country.utf8)
        let codeBytes = code.count == 2 ? UInt16(code[0]) | UInt16(code[1]) << 8 : 0
        return asciiKey(bytes, countryBytes: codeBytes)
    }

    /// ``asciiKey(_:country:)`` for the country's alpha-2 code as two bytes, the first in the low
    /// byte (``CountryTable/Country/alpha2Bytes``; lower case).
    static func asciiKey(_ bytes: UnsafeBufferPointer<UInt8>, countryBytes: UInt16) -> String? {
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        let start = prefixLength(bytes, countryBytes: countryBytes)
        return String(unsafeUninitializedCapacity: bytes.count - start) { buffer in
            letters(of: UnsafeBufferPointer(rebasing: bytes[start...]), into: buffer.baseAddress!)
        }
    }
}

extension IdentityNormalizer {
    /// Pinterest's `st`, "two-letter code" (pinterest/api-description v5/openapi.yaml): the ISO
    /// 3166-2 subdivision code, lower case, where ``SubdivisionCodes`` maps the order's country
    /// (a name or code it does not know there is left out); without a country, US state names and
    /// codes; in any other country, a value that already is two ASCII letters is sent lower-cased,
    /// and a name is left out, since a name where a code is asked for cannot match.
    static func subdivisionCode(_ raw: String, country: CountryTable.Country?) throws(NormalizationError) -> String {
        let alpha2 = country?.alpha2 ?? "us"
        if let subdivisions = SubdivisionCodes.table[alpha2] {
            guard let code = SubdivisionCodes.code(raw, country: alpha2, in: subdivisions) else {
                throw NormalizationError("not a subdivision of the order's country")
            }
            return code
        }
        let lowered = LatinRules.lowercased(raw) ?? raw.lowercased()
        guard lowered.utf8.count == 2, lowered.utf8.allSatisfy({ $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }) else {
            throw NormalizationError("no subdivision code for this country")
        }
        return lowered
    }
}
