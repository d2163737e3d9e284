import RelayDestinations

extension ConfigurationSection {
    /// `destinations.pinterest` (or a store's): Pinterest's Conversions API.
    func pinterestConfiguration() throws(ConfigurationError) -> PinterestDestinationConfiguration {
        try allowOnly(Self.commonDestinationKeys.union(["ad_account_id", "access_token", "access_token_file", "test"]))
        let account = try digits("ad_account_id", what: "the numeric ad account id (at most 18 digits)")
        guard account.count <= 18 else {
            throw ConfigurationError(key: key("ad_account_id"), problem: "must be at most 18 digits")
        }
        var settings = PinterestDestinationConfiguration(adAccountID: account, accessToken: try secret("access_token"))
        settings.testMode = try bool("test") ?? false
        try readCommon(into: &settings, maximumEvents: PinterestDestinationConfiguration.maximumEventsPerRequest)
        settings.maximumEventAgeSeconds = try ageSeconds(default: settings.maximumEventAgeSeconds, maximumDays: 28)
        return settings
    }
}
