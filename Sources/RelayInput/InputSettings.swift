/// The configuration's `input` section, as a value: which shape the orders topic carries and, for
/// any but the native one, the mapping that turns it into the native contract.
public struct InputSettings: Sendable {
    /// `nil`: native records, decoded directly (the fast path, untouched by this module).
    public var mapping: (any InputMapping)?

    public init(mapping: (any InputMapping)? = nil) {
        self.mapping = mapping
    }

    public static let native = InputSettings()

    public var format: InputFormat { mapping?.format ?? .native }

    /// The decoder for mapped records, or `nil` for native ones.
    public var decoder: MappedEventDecoder? { mapping.map { MappedEventDecoder(mapping: $0) } }
}
