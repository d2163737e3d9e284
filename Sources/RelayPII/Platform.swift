/// The ad platforms conversion-relay delivers to. Normalisation rules differ per platform.
public enum Platform: String, Sendable, CaseIterable, Hashable {
    case meta, google, tiktok, pinterest, snapchat
}

/// A customer identifier that platforms match on.
public enum IdentityField: String, Sendable, CaseIterable, Hashable {
    case email
    case phone
    case firstName = "first_name"
    case lastName = "last_name"
    case city
    case state
    case postalCode = "postal_code"
    case country
    case dateOfBirth = "date_of_birth"
    case gender
    case externalID = "external_id"
}

/// How a normalised identifier travels to the platform.
public enum Transmission: String, Sendable {
    /// SHA-256 of the normalised value, lowercase hex.
    case sha256
    /// The normalised value itself (fields the platform wants unhashed, such as Google's region code).
    case plain
    /// Not sent (the platform has no such field, or the value is unusable).
    case omit
}
