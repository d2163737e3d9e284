/// The SHA-256 digests of every text of one or two lowercase ASCII letters (`a`…`z`, `aa`…`zz`),
/// worked out once on first use: the normalised forms of a country code, a gender and most state
/// codes, which every order hashes again for several platforms. A table of those 702 texts'
/// digests holds no customer data (it is the same in every process), so looking a value up in
/// it keeps nothing of the order past the call. ``SHA256/digest(_:)`` answers from it.
enum ShortLetterDigests {
    /// Entries for one-letter texts, then for two-letter texts.
    static let oneLetterCount = 26
    static let count = oneLetterCount + 26 * 26

    /// Every entry's digest, by ``index(of:)``.
    static let table: [SHA256Digest] = (0..<count).map { index in
        text(at: index).withUnsafeBytes { SHA256.computeDigest($0) }
    }

    /// The table entry of `input` when it is one or two lowercase ASCII letters, else `nil`.
    @inline(__always)
    static func index(of input: UnsafeRawBufferPointer) -> Int? {
        switch input.count {
        case 1:
            let first = Int(input[0]) &- 0x61
            return UInt(bitPattern: first) < 26 ? first : nil
        case 2:
            let first = Int(input[0]) &- 0x61
            let second = Int(input[1]) &- 0x61
            guard UInt(bitPattern: first) < 26, UInt(bitPattern: second) < 26 else { return nil }
            return oneLetterCount &+ first &* 26 &+ second
        default:
            return nil
        }
    }

    /// The text of the entry at `index` (the inverse of ``index(of:)``).
    static func text(at index: Int) -> [UInt8] {
        if index < oneLetterCount { return [UInt8(0x61 + index)] }
        let pair = index - oneLetterCount
        return [UInt8(0x61 + pair / 26), UInt8(0x61 + pair % 26)]
    }
}
