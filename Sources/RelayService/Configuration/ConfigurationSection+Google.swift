import Foundation
import RelayDestinations

extension ConfigurationSection {
    /// `destinations.google` (or a store's): Google's Data Manager API.
    func googleConfiguration() throws(ConfigurationError) -> GoogleDestinationConfiguration {
        try allowOnly(Self.commonDestinationKeys.union([
            "operating_account_id", "login_account_id", "conversion_action_id", "service_account_key_file",
            "access_token_file", "token_uri", "validate_only", "request_status_lookups",
        ]))
        let operating = try digits("operating_account_id", what: "the 10-digit Google Ads account id, no dashes", length: 10)
        let conversionAction = try digits("conversion_action_id", what: "the numeric conversion action id")
        let keyFile = try string("service_account_key_file")
        let tokenFile = try string("access_token_file")
        // Values only: the provider that fetches tokens is built where the shared HTTP client
        // lives (RelayConfiguration.withCredentialProviders(http:)), so loading starts nothing.
        let credentials: GoogleCredentials
        switch (keyFile, tokenFile) {
        case (let path?, nil):
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(key: key("service_account_key_file"), problem: "cannot read the file")
            }
            let tokenURI = try url("token_uri")
            do {
                credentials = .serviceAccountKey(
                    try ServiceAccountKey(keyFileContents: [UInt8](contents), tokenURIOverride: tokenURI))
            } catch {
                throw ConfigurationError(key: key("service_account_key_file"), problem: error.description)
            }
        case (nil, let path?):
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ConfigurationError(key: key("access_token_file"), problem: "cannot read the file")
            }
            credentials = .accessTokenFile(path: path)
        case (nil, nil):
            throw ConfigurationError(
                key: key("service_account_key_file"), problem: "is required (or access_token_file)")
        case (.some, .some):
            throw ConfigurationError(
                key: key("service_account_key_file"), problem: "give either it or access_token_file, not both")
        }
        var settings = GoogleDestinationConfiguration(
            operatingAccountID: operating, conversionActionID: conversionAction, credentials: credentials)
        if try string("login_account_id") != nil {
            settings.loginAccountID = try digits("login_account_id", what: "a 10-digit Google Ads account id", length: 10)
        }
        settings.validateOnly = try bool("validate_only") ?? false
        settings.requestStatusLookups = try bool("request_status_lookups") ?? settings.requestStatusLookups
        try readCommon(into: &settings, maximumEvents: GoogleDestinationConfiguration.maximumEventsPerRequest)
        settings.maximumEventAgeSeconds = try ageSeconds(default: settings.maximumEventAgeSeconds, maximumDays: 90)
        return settings
    }
}
