import RelayDestinations

extension ConfigurationSection {
    /// `destinations.snapchat` (or a store's): Snapchat's Conversions API.
    func snapchatConfiguration() throws(ConfigurationError) -> SnapchatDestinationConfiguration {
        try allowOnly(Self.commonDestinationKeys.union(["pixel_id", "access_token", "access_token_file", "validate_only"]))
        guard let pixel = try string("pixel_id", required: true), !pixel.isEmpty,
            pixel.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        else { throw ConfigurationError(key: key("pixel_id"), problem: "must be the pixel id (letters, digits, dashes)") }
        var settings = SnapchatDestinationConfiguration(pixelID: pixel, accessToken: try secret("access_token"))
        settings.validateOnly = try bool("validate_only") ?? false
        try readCommon(into: &settings, maximumEvents: SnapchatDestinationConfiguration.maximumEventsPerRequest)
        settings.maximumEventAgeSeconds = try ageSeconds(default: settings.maximumEventAgeSeconds, maximumDays: 37)
        return settings
    }
}
