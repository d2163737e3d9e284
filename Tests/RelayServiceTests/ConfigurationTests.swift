import Foundation
import Logging
import RelayCore
import RelayCrypto
import RelayDestinations
import RelayHTTP
import RelayService
import Synchronization
import Testing

@Suite struct ConfigurationTests {
    static let secrets = [
        "KAFKA_SASL_PASSWORD": "kafka-secret", "META_ACCESS_TOKEN": "meta-secret", "TIKTOK_ACCESS_TOKEN": "tiktok-secret",
        "PINTEREST_ACCESS_TOKEN": "pinterest-secret", "SNAPCHAT_ACCESS_TOKEN": "snap-secret", "META_UK_ACCESS_TOKEN": "meta-uk-secret",
        "KAFKA_API_KEY": "api-key", "KAFKA_API_SECRET": "api-secret",
    ]

    func tokenFile() throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("google-token-\(UUID().uuidString)")
        try "google-access-token".write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test func theSASLExampleLoadsAndLibrdkafkaAcceptsItsSecuritySettings() throws {
        var environment = Self.secrets
        // A key can be overridden from the environment, here the mounted token file's path.
        environment["CONVERSION_RELAY__DESTINATIONS__GOOGLE__ACCESS_TOKEN_FILE"] = try tokenFile()
        let configuration = try ConfigurationLoader(environment: environment)
            .load(path: repositoryRoot.appendingPathComponent("examples/relay-sasl-ssl.yaml").path)
        #expect(configuration.kafka.properties["security.protocol"] == "SASL_SSL")
        #expect(configuration.kafka.properties["sasl.password"] == "kafka-secret")
        #expect(configuration.destinations.makeDestinations().map(\.name) == ["meta", "google", "tiktok", "pinterest", "snapchat"])
        #expect(configuration.stores["shop-uk"]?.meta?.pixelID == "2234567890")
        #expect(configuration.logFormat == .json)
        // librdkafka validates every property when the clients are created (no connection needed).
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        _ = try RelayEngine(configuration: configuration, http: http, logger: serviceTestLogger)
    }

    @Test func theSASLPlainExampleIsAcceptedByLibrdkafka() throws {
        let configuration = try ConfigurationLoader(environment: Self.secrets)
            .load(path: repositoryRoot.appendingPathComponent("examples/relay-sasl-plain.yaml").path)
        #expect(configuration.kafka.properties["sasl.mechanisms"] == "PLAIN")
        #expect(configuration.kafka.properties["sasl.username"] == "api-key")
        let http = CurlHTTPClient()
        defer { http.shutdown() }
        _ = try RelayEngine(configuration: configuration, http: http, logger: serviceTestLogger)
    }

    @Test func environmentOverridesAnyKeyThroughTheSameRules() throws {
        let yaml = """
            kafka:
              bootstrap_servers: from-file:9092
            destinations:
              meta:
                pixel_id: "1"
                access_token: ${META_ACCESS_TOKEN}
            """
        let configuration = try ConfigurationLoader(environment: [
            "META_ACCESS_TOKEN": "file-token",
            "CONVERSION_RELAY__KAFKA__BOOTSTRAP_SERVERS": "from-env:9092",
            "CONVERSION_RELAY__DESTINATIONS__META__ACCESS_TOKEN": "env-token",
            "CONVERSION_RELAY__DELIVERY__MAX_ATTEMPTS": "9",
            "CONVERSION_RELAY__LOGGING__LEVEL": "debug",
        ]).load(yaml: yaml)
        #expect(configuration.kafka.bootstrapServers == "from-env:9092")
        #expect(configuration.destinations.meta?.accessToken.unredactedValue == "env-token")
        #expect(configuration.delivery.maximumAttempts == 9)
        #expect(configuration.logLevel == .debug)
        // A bad override is refused like a bad file.
        expectRefusal(
            yaml, environment: ["META_ACCESS_TOKEN": "t", "CONVERSION_RELAY__DELIVERY__MAX_ATTEMPTS": "lots"], naming: "delivery.max_attempts")
    }

    /// Google's two per-project quotas are on by default (300 a minute, 100,000 a day) and each
    /// replica's share is configurable; the other platforms have no daily quota.
    /// Loading a service-account key reads and checks it and builds nothing that talks HTTP (so
    /// `check-config` starts no client thread): the credentials stay a value until the
    /// composition gives them its one shared client, and only that client fetches tokens.
    @Test func loadingAServiceAccountKeyBuildsNoHTTPClientTheSharedOneFetchesTheTokens() async throws {
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("google-key-\(UUID().uuidString).json")
        var key = JSONWriter()
        key.beginObject()
        key.key("client_email"); key.string("relay@project.iam.gserviceaccount.com")
        key.key("private_key"); key.string(try RSAKey.generate().privateKeyPEM())
        key.key("token_uri"); key.string("https://oauth2.googleapis.com/token")
        key.endObject()
        try Data(key.bytes).write(to: keyFile)
        defer { try? FileManager.default.removeItem(at: keyFile) }
        let configuration = try ConfigurationLoader(environment: [:]).load(
            yaml: """
                kafka:
                  bootstrap_servers: localhost:9092
                destinations:
                  google:
                    operating_account_id: "1234567890"
                    conversion_action_id: "42"
                    service_account_key_file: \(keyFile.path)
                    token_uri: http://tokens.test/token
                """)
        guard case .serviceAccountKey(let loaded)? = configuration.destinations.google?.credentials else {
            Issue.record("loading built a token provider: \(String(describing: configuration.destinations.google?.credentials))")
            return
        }
        #expect(loaded.clientEmail == "relay@project.iam.gserviceaccount.com")
        #expect(loaded.tokenURI == "http://tokens.test/token")

        let shared = RecordingExecutor()
        let composed = configuration.withCredentialProviders(http: shared)
        let google = GoogleDestination(configuration: try #require(composed.destinations.google))
        var request = HTTPRequest(url: "https://datamanager.googleapis.com/v1/events:ingest")
        try await google.authorize(&request, forceRefresh: false)
        #expect(shared.urls.withLock { $0 } == ["http://tokens.test/token"])
        #expect(request.headers.contains { $0.name == "Authorization" && $0.value == "Bearer token-from-the-shared-client" })
        // Composing again keeps the provider (one token cache per key, shared by every engine).
        let again = GoogleDestination(configuration: try #require(composed.withCredentialProviders(http: RecordingExecutor()).destinations.google))
        var second = HTTPRequest(url: "https://datamanager.googleapis.com/v1/events:ingest")
        try await again.authorize(&second, forceRefresh: false)
        #expect(shared.urls.withLock { $0 }.count == 1)
    }

    /// Answers every request with a token and remembers where it was sent.
    final class RecordingExecutor: HTTPExecutor {
        let urls = Mutex<[String]>([])

        func execute(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPResponse {
            urls.withLock { $0.append(request.url) }
            return HTTPResponse(status: 200, body: Array(#"{"access_token":"token-from-the-shared-client","expires_in":3600}"#.utf8))
        }
    }

    @Test func googleQuotasDefaultToTheDocumentedOnesAndTakeAReplicasShare() throws {
        let file = try tokenFile()
        func google(_ extra: String) throws -> GoogleDestinationConfiguration? {
            try ConfigurationLoader(environment: ["T": "token-value"]).load(yaml: """
                kafka:
                  bootstrap_servers: x:9092
                destinations:
                  google:
                    operating_account_id: "1234567890"
                    conversion_action_id: "1"
                    access_token_file: \(file)
                \(extra)
                  pinterest:
                    ad_account_id: "1"
                    access_token: ${T}
                """).destinations.google
        }
        let defaults = try #require(try google(""))
        #expect(defaults.requestsPerMinute == 300)
        #expect(defaults.requestsPerDay == 100_000)
        let share = try #require(try google("    requests_per_minute: 150\n    requests_per_day: 50000"))
        #expect(share.requestsPerMinute == 150)
        #expect(share.requestsPerDay == 50_000)
        #expect(PinterestDestinationConfiguration(adAccountID: "1", accessToken: Secret("t")).requestsPerDay == nil)
    }

    /// `destinations.tiktok.send_name_and_address` is on unless switched off (issue 21 item 6).
    @Test func tiktokSendsNameAndAddressUnlessSwitchedOff() throws {
        func tiktok(_ extra: String) throws -> TikTokDestinationConfiguration? {
            try ConfigurationLoader(environment: ["T": "token-value"]).load(yaml: """
                kafka:
                  bootstrap_servers: x:9092
                destinations:
                  tiktok:
                    pixel_code: ABC
                    access_token: ${T}
                \(extra)
                """).destinations.tiktok
        }
        #expect(try tiktok("")?.sendNameAndAddress == true)
        #expect(try tiktok("    send_name_and_address: false")?.sendNameAndAddress == false)
        #expect(throws: ConfigurationError.self) { try tiktok("    send_name_and_address: maybe") }
    }

    @Test(arguments: [
        ("destinations:\n  meta:\n    pixel_id: \"1\"\n", "destinations.meta.access_token"),
        ("destinations:\n  facebook:\n    pixel_id: \"1\"\n", "destinations.facebook"),
        ("destinations:\n  tiktok:\n    pixel_code: ABC\n    access_token: ${T}\n    endpoint: not a url\n", "destinations.tiktok.endpoint"),
        ("destinations:\n  google:\n    operating_account_id: \"123-456-7890\"\n    conversion_action_id: \"1\"\n    access_token_file: /x\n", "destinations.google.operating_account_id"),
        ("destinations:\n  pinterest:\n    ad_account_id: \"1\"\n    access_token: ${T}\n    batch:\n      max_events: 1001\n", "destinations.pinterest.batch.max_events"),
        ("destinations:\n  snapchat:\n    pixel_id: p\n    access_token: ${T}\n    max_event_age_days: 60\n", "destinations.snapchat.max_event_age_days"),
        ("stores:\n  shop de:\n    meta:\n      pixel_id: \"1\"\n      access_token: ${T}\n", "stores.shop de"),
        ("stores:\n  shop-de:\n    meta:\n      pixel_id: x\n      access_token: ${T}\n", "stores.shop-de.meta.pixel_id"),
        ("destinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${T}\nrouting:\n  unknown_store: drop\n", "routing.unknown_store"),
        ("destinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${T}\nobservability:\n  port: 70000\n", "observability.port"),
        ("destinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${T}\nlogging:\n  format: xml\n", "logging.format"),
        ("destinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${T}\ndelivery:\n  preparation_threads: 0\n", "delivery.preparation_threads"),
        ("destinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${T}\ndelivery:\n  read_ahead_events: 0\n", "delivery.read_ahead_events"),
        ("destinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${T}\ndelivery:\n  read_ahead_events: many\n", "delivery.read_ahead_events"),
    ])
    func brokenConfigsNameTheKey(body: String, key: String) {
        let yaml = "kafka:\n  bootstrap_servers: x:9092\n" + body
        let error = expectRefusal(yaml, environment: ["T": "token-value"], naming: key)
        #expect(error?.description.contains("token-value") == false)
    }

    /// The read-ahead window (what a crash repeats beyond the commit's lag) is configurable and
    /// bounded by default.
    @Test func theReadAheadWindowIsReadFromDelivery() throws {
        let base = "kafka:\n  bootstrap_servers: x:9092\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${T}\n"
        let loader = ConfigurationLoader(environment: ["T": "token-value"])
        #expect(try loader.load(yaml: base).delivery.readAheadEvents == nil, "unset: the engine sizes it from the largest batch")
        #expect(try loader.load(yaml: base + "delivery:\n  read_ahead_events: 2500\n").delivery.readAheadEvents == 2_500)
    }

    /// schemas/config.v1.json and the loader agree: the examples pass both, broken files fail both.
    @Test func theConfigSchemaAndTheLoaderAgree() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let broken: [String: String] = [
            "literal-token": "kafka:\n  bootstrap_servers: x:9092\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: EAAB-literal\n",
            "unknown-key": "kafka:\n  bootstrap_servers: x:9092\n  topik: orders\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${META_ACCESS_TOKEN}\n",
            "managed-property": "kafka:\n  bootstrap_servers: x:9092\n  properties:\n    enable.auto.commit: \"false\"\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${META_ACCESS_TOKEN}\n",
        ]
        var files: [(path: String, valid: Bool)] = []
        for name in ["relay-sasl-ssl.yaml", "relay-sasl-plain.yaml"] {
            files.append((repositoryRoot.appendingPathComponent("examples/\(name)").path, true))
        }
        for (name, text) in broken {
            let file = directory.appendingPathComponent("\(name).yaml")
            try text.write(to: file, atomically: true, encoding: .utf8)
            files.append((file.path, false))
        }
        let report = try configSchemaErrors(files.map(\.path))
        let googleTokenFile = try tokenFile()
        for file in files {
            #expect(report[file.path]?.isEmpty == file.valid, "schema on \(file.path): \(report[file.path] ?? [])")
            var environment = Self.secrets
            if file.path.hasSuffix("relay-sasl-ssl.yaml") {
                environment["CONVERSION_RELAY__DESTINATIONS__GOOGLE__ACCESS_TOKEN_FILE"] = googleTokenFile
            }
            let loaded = (try? ConfigurationLoader(environment: environment).load(path: file.path)) != nil
            #expect(loaded == file.valid, "loader on \(file.path)")
        }
    }
}
