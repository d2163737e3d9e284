import RelayCore
import RelayDestinations

/// The five destinations with made-up accounts and tokens, for encoding without sending: their
/// requests are built, never executed (Google's token file is never read). The tests' sample
/// corpus and the benchmarks' preparation path use the same five.
public func offlineDestinations() -> [any ConversionDestination] {
    [
        MetaDestination(configuration: MetaDestinationConfiguration(pixelID: "1234567890", accessToken: Secret("token"))),
        GoogleDestination(
            configuration: GoogleDestinationConfiguration(
                operatingAccountID: "1234567890", conversionActionID: "987654321",
                credentials: .accessTokenFile(path: "/nonexistent"))),
        TikTokDestination(configuration: TikTokDestinationConfiguration(pixelCode: "CPIXEL", accessToken: Secret("token"))),
        PinterestDestination(
            configuration: PinterestDestinationConfiguration(adAccountID: "549755885175", accessToken: Secret("token"))),
        SnapchatDestination(configuration: SnapchatDestinationConfiguration(pixelID: "pixel", accessToken: Secret("token"))),
    ]
}
