extension ISO4217 {
    /// The codes, sorted, each with its `String`: a decoded event's currency shares the table's
    /// `String` (no `String` made and hashed per event).
    private static let sortedCodes: [String] = codes.sorted()

    /// For each string of three capital letters (26³ places, the first letter the most
    /// significant), one more than its code's index in `sortedCodes`, or 0 when it is not a code: a
    /// code is found by one load, not a search.
    private static let places: [UInt8] = {
        precondition(sortedCodes.count < 256, "an index in a byte")
        var places = [UInt8](repeating: 0, count: 26 * 26 * 26)
        for (index, code) in sortedCodes.enumerated() {
            let letters = Array(code.utf8)
            places[place(letters[0], letters[1], letters[2])!] = UInt8(index + 1)
        }
        return places
    }()

    /// The place of three capital letters in `places`; `nil` when one is not `A`–`Z`.
    @inline(__always)
    private static func place(_ first: UInt8, _ second: UInt8, _ third: UInt8) -> Int? {
        let (first, second, third) = (first &- UInt8(ascii: "A"), second &- UInt8(ascii: "A"), third &- UInt8(ascii: "A"))
        guard first < 26, second < 26, third < 26 else { return nil }
        return Int(first) &* 676 &+ Int(second) &* 26 &+ Int(third)
    }

    /// The active code spelled by UTF-8 `bytes`, or `nil` (``codes`` does not contain it).
    static func code(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard bytes.count == 3, let place = place(bytes[0], bytes[1], bytes[2]) else { return nil }
        let index = Int(places[place])
        return index == 0 ? nil : sortedCodes[index &- 1]
    }
}
