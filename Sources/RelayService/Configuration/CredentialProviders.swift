import RelayDestinations
import RelayHTTP

extension RelayConfiguration {
    /// This configuration with every credential that is fetched over HTTP (a Google
    /// service-account key) turned into a provider on `http`, the relay's one shared client.
    ///
    /// Loading configuration builds no provider and starts no client (so `check-config` starts
    /// no thread); the composition that owns the client calls this once, and every engine given
    /// the result shares one token cache per key. Applying it twice changes nothing.
    public func withCredentialProviders(http: any HTTPExecutor) -> RelayConfiguration {
        var result = self
        result.destinations = destinations.withCredentialProviders(http: http)
        result.stores = stores.mapValues { $0.withCredentialProviders(http: http) }
        return result
    }
}

extension DestinationSettings {
    /// These settings with their credentials given `http` (see ``RelayConfiguration/withCredentialProviders(http:)``).
    public func withCredentialProviders(http: any HTTPExecutor) -> DestinationSettings {
        var result = self
        if let credentials = google?.credentials, credentials.needsHTTPClient {
            result.google?.credentials = .provider(credentials.makeProvider(http: http))
        }
        return result
    }
}
