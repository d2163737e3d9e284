import RelayDestinations

extension ConfigurationSection {
    /// `destinations.meta` (or a store's): Meta's Conversions API.
    func metaConfiguration() throws(ConfigurationError) -> MetaDestinationConfiguration {
        try allowOnly(Self.commonDestinationKeys.union(["pixel_id", "access_token", "access_token_file", "api_version", "test_event_code", "action_source"]))
        let pixelID = try digits("pixel_id", what: "the numeric pixel (dataset) id")
        var settings = MetaDestinationConfiguration(pixelID: pixelID, accessToken: try secret("access_token"))
        settings.apiVersion = try string("api_version") ?? settings.apiVersion
        guard settings.apiVersion.hasPrefix("v") else {
            throw ConfigurationError(key: key("api_version"), problem: "must look like v26.0")
        }
        settings.testEventCode = try string("test_event_code")
        settings.actionSource = try string("action_source") ?? settings.actionSource
        let sources = ["website", "email", "app", "phone_call", "chat", "physical_store", "system_generated", "business_messaging", "other"]
        guard sources.contains(settings.actionSource) else {
            throw ConfigurationError(key: key("action_source"), problem: "must be one of \(sources.joined(separator: ", "))")
        }
        try readCommon(into: &settings, maximumEvents: MetaDestinationConfiguration.maximumEventsPerRequest)
        if try string("max_event_age_days") != nil {
            throw ConfigurationError(key: key("max_event_age_days"), problem: "is fixed at Meta's documented 7 days")
        }
        return settings
    }
}
