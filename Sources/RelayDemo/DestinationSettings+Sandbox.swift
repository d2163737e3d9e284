import RelayCore
import RelayDestinations
import RelayHTTP
import RelaySandbox
import RelayService

extension DestinationSettings {
    /// All five destinations pointed at `sandbox` with its accounts: Google authenticates with the
    /// sandbox's service-account key through its token endpoint, like production does with Google's.
    public static func sandbox(_ sandbox: SandboxServer, http: any HTTPExecutor, lingerMilliseconds: Int = 100) throws
        -> DestinationSettings
    {
        let accounts = sandbox.accounts
        var meta = MetaDestinationConfiguration(pixelID: accounts.metaPixelID, accessToken: Secret(accounts.metaAccessToken))
        meta.endpoint = sandbox.baseURL
        meta.batchPolicy.lingerMilliseconds = lingerMilliseconds
        var google = GoogleDestinationConfiguration(
            operatingAccountID: accounts.googleOperatingAccountID, conversionActionID: accounts.googleConversionActionID,
            tokenProvider: try ServiceAccountTokenProvider(keyFileContents: try sandbox.googleServiceAccountKeyFile(), http: http))
        google.endpoint = sandbox.baseURL
        google.batchPolicy.lingerMilliseconds = lingerMilliseconds
        var tiktok = TikTokDestinationConfiguration(pixelCode: accounts.tiktokPixelCode, accessToken: Secret(accounts.tiktokAccessToken))
        tiktok.endpoint = sandbox.baseURL
        tiktok.batchPolicy.lingerMilliseconds = lingerMilliseconds
        var pinterest = PinterestDestinationConfiguration(
            adAccountID: accounts.pinterestAdAccountID, accessToken: Secret(accounts.pinterestAccessToken))
        pinterest.endpoint = sandbox.baseURL
        pinterest.batchPolicy.lingerMilliseconds = lingerMilliseconds
        var snapchat = SnapchatDestinationConfiguration(
            pixelID: accounts.snapchatPixelID, accessToken: Secret(accounts.snapchatAccessToken))
        snapchat.endpoint = sandbox.baseURL
        snapchat.batchPolicy.lingerMilliseconds = lingerMilliseconds
        return DestinationSettings(meta: meta, google: google, tiktok: tiktok, pinterest: pinterest, snapchat: snapchat)
    }
}
