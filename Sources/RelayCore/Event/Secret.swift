/// A credential (access token, API key). Prints as `<redacted>` everywhere.
public struct Secret: RedactedValue, Sendable, Equatable {
    public let unredactedValue: String

    public init(_ value: String) {
        self.unredactedValue = value
    }
}
