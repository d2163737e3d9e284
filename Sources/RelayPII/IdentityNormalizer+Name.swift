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
        let name = String(raw.lowercased().unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
        guard !name.isEmpty else { throw NormalizationError("name has no letters") }
        return name
    }
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
