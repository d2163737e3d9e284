// The email rule [destinations.md §0 "Email rule", §2].
extension IdentityNormalizer {
    /// Meta/TikTok/Pinterest/Snapchat: trim, lowercase [destinations.md §0 "Email rule"].
    /// Google additionally removes all whitespace and, for gmail.com/googlemail.com only, drops
    /// dots and a `+tag` from the local part [destinations.md §2, Google formatting guide].
    static func email(_ raw: String, for platform: Platform) throws(NormalizationError) -> String {
        if let fast = try LatinRules.email(raw, google: platform == .google) { return fast }
        return try unicodeEmail(raw, for: platform)
    }

    /// The email rule for any input (``LatinRules/email(_:google:)`` is its fast path for Latin-script input).
    static func unicodeEmail(_ raw: String, for platform: Platform) throws(NormalizationError) -> String {
        var email = raw.lowercased()
        if platform == .google { email.removeAll { $0.isWhitespace } }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace)
        else {
            throw NormalizationError("not an email address")
        }
        if platform == .google, parts[1] == "gmail.com" || parts[1] == "googlemail.com" {
            var local = parts[0]
            if let plus = local.firstIndex(of: "+") { local = local[..<plus] }
            local.removeAll { $0 == "." }
            guard !local.isEmpty else { throw NormalizationError("not an email address") }
            return "\(local)@\(parts[1])"
        }
        return email
    }
}
