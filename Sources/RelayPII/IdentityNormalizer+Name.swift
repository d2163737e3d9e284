// The first- and last-name rule [destinations.md §1 fn/ln].
extension IdentityNormalizer {
    /// Lowercase, punctuation removed, UTF-8 letters kept (`Valéry` → `valéry`) [§1 fn/ln].
    static func name(_ raw: String) throws(NormalizationError) -> String {
        if let fast = LatinRules.name(raw) {
            guard !fast.isEmpty else { throw NormalizationError("name has no letters") }
            return fast
        }
        return try unicodeName(raw)
    }

    /// The name rule for any input (``LatinRules/name(_:)`` is its fast path for Latin-script input).
    static func unicodeName(_ raw: String) throws(NormalizationError) -> String {
        let kept = raw.lowercased().unicodeScalars.filter {
            !$0.properties.generalCategory.isPunctuationOrSymbol
        }
        let name = String(String.UnicodeScalarView(kept)).trimmingWhitespace()
        guard !name.isEmpty else { throw NormalizationError("name has no letters") }
        return name
    }

    /// TikTok: lowercase, every whitespace character removed, otherwise as written (accents and
    /// punctuation kept), as Segment's TikTok integration formats names (action-destinations
    /// tiktok-conversions/reportWebEvent/formatter.ts `formatString`: `replace(/\s/g, '')
    /// .toLowerCase()`); Stape's template (stape-io/tiktok-tag template.js `hashData`) trims and
    /// lower-cases, which agrees except for spaces inside a name: UNCONFIRMED which TikTok
    /// matches on, so the relay follows Segment, the integration the issue names first.
    static func tiktokName(_ raw: String) throws(NormalizationError) -> String {
        let name = lowercasedWithoutWhitespace(raw)
        guard !name.isEmpty else { throw NormalizationError("name has no letters") }
        return name
    }

    /// `raw` lower-cased without its whitespace (TikTok's name and postal code rules), byte by
    /// byte for Latin-script input (``LatinRules/lowercasedWithoutWhitespace(_:)``).
    static func lowercasedWithoutWhitespace(_ raw: String) -> String {
        LatinRules.lowercasedWithoutWhitespace(raw) ?? unicodeLowercasedWithoutWhitespace(raw)
    }

    /// ``lowercasedWithoutWhitespace(_:)`` for any input; empty when nothing is left.
    static func unicodeLowercasedWithoutWhitespace(_ raw: String) -> String {
        String(raw.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
    }

    /// Google: the name rule above (lower-cased, trimmed, punctuation removed: the Data Manager
    /// proto's "all lowercase, with no punctuation, no leading or trailing whitespace", googleapis
    /// datamanager_v1 types/user_data.py AddressInfo), then without a title before it or a suffix
    /// after it ("Mrs. Jane" → `jane`, "Smith Jr." → `smith`), as Google's formatting guidance
    /// asks (developers.google.com/data-manager/api/devguides/concepts/formatting: "don't include
    /// prefixes such as Mrs." / "suffixes such as Jr."). Google's own helper
    /// (googleads/data-manager-python format.py) only trims and lower-cases; the documented rule
    /// is what Google matches on, so the relay follows it. A name that is only a title is kept.
    static func googleName(_ raw: String) throws(NormalizationError) -> String {
        let plain = try name(raw)
        // One word (the usual case): nothing to split off.
        guard mayHoldWhitespace(plain) else { return plain }
        var words = plain.split(whereSeparator: \.isWhitespace)
        let count = words.count
        if words.count > 1, GoogleNameAffixes.titles.contains(String(words[0])) { words.removeFirst() }
        if words.count > 1, GoogleNameAffixes.suffixes.contains(String(words[words.count - 1])) { words.removeLast() }
        // Unchanged unless an affix went: the rest of the name keeps its spacing.
        return words.count == count ? plain : words.joined(separator: " ")
    }
}

/// False when `text` certainly holds no whitespace character: none of its bytes is ASCII
/// whitespace or the lead byte of a non-ASCII White_Space scalar (U+0085 and U+00A0 start with
/// 0xC2, U+1680 with 0xE1, U+2000–U+205F with 0xE2, U+3000 with 0xE3).
func mayHoldWhitespace(_ text: String) -> Bool {
    text.utf8.contains(where: mayStartWhitespace)
}

extension Unicode.GeneralCategory {
    var isPunctuationOrSymbol: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            true
        default: false
        }
    }
}

/// Titles and suffixes Google's name guidance leaves out, as the name rule leaves them (lower
/// case, no punctuation): English forms, the ones checkout forms offer.
enum GoogleNameAffixes {
    static let titles: Set<String> = ["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame"]
    static let suffixes: Set<String> = ["jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"]

    /// ``titles`` and ``suffixes`` as ``packed(_:)`` gives them, for the byte path (no `String`
    /// and no hashing per word).
    private static let packedTitles = titles.map { packed(Array($0.utf8)) }
    private static let packedSuffixes = suffixes.map { packed(Array($0.utf8)) }

    /// Whether the bytes of a word (the name rule's output) are one of ``titles``.
    static func isTitle(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        word.count <= 4 && packedTitles.contains(packed(word))
    }

    /// Whether the bytes of a word (the name rule's output) are one of ``suffixes``.
    static func isSuffix(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        word.count <= 4 && packedSuffixes.contains(packed(word))
    }

    /// Up to four bytes in one word, the first lowest, and the count in the top byte's high bits
    /// (every affix is ASCII of at most four bytes: `GoogleNameAffixTests` checks it).
    static func packed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt64 {
        var word = UInt64(bytes.count) << 56
        for (index, byte) in bytes.enumerated() where index < 4 { word |= UInt64(byte) << (8 * UInt64(index)) }
        return word
    }
}
