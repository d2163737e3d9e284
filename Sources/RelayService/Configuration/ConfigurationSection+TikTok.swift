import RelayDestinations

extension ConfigurationSection {
    /// `destinations.tiktok` (or a store's): TikTok's Events API.
    func tiktokConfiguration() throws(ConfigurationError) -> TikTokDestinationConfiguration {
        try allowOnly(Self.commonDestinationKeys.union(["pixel_code", "access_token", "access_token_file", "test_event_code", "event_name", "send_name_and_address"]))
        guard let pixel = try string("pixel_code", required: true), !pixel.isEmpty,
            pixel.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else { throw ConfigurationError(key: key("pixel_code"), problem: "must be the pixel code (letters and digits)") }
        var settings = TikTokDestinationConfiguration(pixelCode: pixel, accessToken: try secret("access_token"))
        settings.testEventCode = try string("test_event_code")
        settings.eventName = try string("event_name") ?? settings.eventName
        guard ["Purchase", "CompletePayment", "PlaceAnOrder"].contains(settings.eventName) else {
            throw ConfigurationError(key: key("event_name"), problem: "must be Purchase, CompletePayment or PlaceAnOrder")
        }
        settings.sendNameAndAddress = try bool("send_name_and_address") ?? settings.sendNameAndAddress
        try readCommon(into: &settings, maximumEvents: TikTokDestinationConfiguration.maximumEventsPerRequest)
        settings.maximumEventAgeSeconds = try ageSeconds(default: settings.maximumEventAgeSeconds, maximumDays: 28)
        return settings
    }
}
