import CPhoneNumber

/// E.164 formatting through Google's libphonenumber, the field's reference implementation.
///
/// National numbers are read in the order's country (`020 7946 0958` in GB → `+442079460958`),
/// international prefixes and trunk zeros are handled by the library's per-country metadata
/// (`+44 (0)20 …`, `0049 …` in DE), which every SDK normaliser in destinations.md §6.2 gets wrong.
enum PhoneNumberFormatter {
    /// `nil` when the text is not a possible phone number for the region.
    static func e164(_ text: String, region: String?) -> String? {
        format(text, region: region, through: relay_cshim_phone_format_e164)
    }

    /// The same through libphonenumber's full parse only: the reference for the shortcut
    /// ``e164(_:region:)`` takes for common shapes (tests compare the two).
    static func e164ThroughFullParse(_ text: String, region: String?) -> String? {
        format(text, region: region, through: relay_cshim_phone_format_e164_parsed)
    }

    private static func format(
        _ text: String, region: String?,
        through formatter: (UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int) -> Int32
    ) -> String? {
        var buffer = [CChar](repeating: 0, count: 32)
        let length = buffer.withUnsafeMutableBufferPointer { output in
            formatter(text, region?.uppercased(), output.baseAddress, output.count)
        }
        guard length > 0 else { return nil }
        return buffer.withUnsafeBufferPointer { String(decoding: UnsafeRawBufferPointer($0).prefix(Int(length)), as: UTF8.self) }
    }
}
