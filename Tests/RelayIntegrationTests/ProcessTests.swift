import Foundation
import RelayCore
import RelayDemo
import RelayKafka
import RelaySandbox
import RelayService
import Testing

/// Tests that run the real `conversion-relay` executable as child processes.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ProcessTests {
    /// SIGKILL a relay at full speed mid-run (all five destinations, no latency, default batches
    /// and delivery settings; issue 20), start another: every order is delivered to every
    /// destination, the relay committed settled offsets while it ran, and the replacement
    /// repeats at most 5,000 events per destination, each byte-identical with the same event
    /// id and from the range that was not committed at the kill; SIGTERM then drains, commits
    /// everything and exits 0.
    ///
    /// What bounds the repeats is the read-ahead window (`delivery.read_ahead_events`, set to
    /// 4,000 offsets past the settled frontiers here) plus what was settled since the last commit
    /// (every 200 ms); the requests in flight at the kill, which the sandbox still answers, lie
    /// inside the window. Measured: 2,758–3,776 per destination with the window (3,770 with the
    /// release relay); without it the debug relay read as far ahead as its preparation allowed
    /// (2,893–6,700, over the bound in about half the runs) and the release relay all of it
    /// (6,000–8,264). The window is set rather than left at its default (four of the largest
    /// batch: 8,000 with Google's and Snapchat's 2,000, docs/operations.md "What a restart
    /// costs"): on 12,000 orders a bound of 8,000 and more could not tell a relay with the
    /// window from one without it. The window's own bound, and its default, are proven
    /// deterministically by `EngineReadAheadTests`.
    @Test func killedAtFullSpeedLosesNothingAndRepeatsLittle() async throws {
        let fixture = try await Fixture.make(brokers: 3, partitions: 4)
        let orders = samples(12_000, seed: 12)
        let expected = deliverable(orders)
        let positions = try await fixture.publish(orders)
        let sandbox = fixture.sandbox
        let accounts = sandbox.accounts
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tokenFile = directory.appendingPathComponent("pinterest-token")
        try "\(accounts.pinterestAccessToken)\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        let config = try writeSandboxDestinationsConfig(
            sandbox, in: directory, pinterestToken: "access_token_file: \(tokenFile.path)",
            kafka: [
                #"bootstrap_servers: "\#(fixture.cluster.bootstrapServers)""#, "group_id: crash-full-speed", "topic: orders",
                "consumer_properties:", #"  session.timeout.ms: "\#(mockSessionTimeoutMilliseconds)""#,
                #"  heartbeat.interval.ms: "\#(mockConsumerProperties["heartbeat.interval.ms"]!)""#,
            ],
            trailingSections: ["delivery:", "  read_ahead_events: 4000", "observability:", "  host: 127.0.0.1", "  port: 0"])
        let environment = [
            "META_TOKEN": accounts.metaAccessToken, "TIKTOK_TOKEN": accounts.tiktokAccessToken,
            "SNAP_TOKEN": accounts.snapchatAccessToken,
        ]
        let platforms = ["meta", "google", "tiktok", "pinterest", "snapchat"]
        func delivered(_ platform: String) -> Int { Set(sandbox.receipts(platform).map(\.eventID)).count }

        let first = try RelayExecutable.start(
            ["run", "--config", config.path], environment: environment, log: directory.appendingPathComponent("first.log"))
        // Killed at about 40 % of the run.
        let midway = await eventually(seconds: 120) { delivered("meta") >= expected.count * 2 / 5 }
        #expect(midway, "the first relay should deliver 40 % of the orders")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        let deliveredAtKill = platforms.map(delivered)
        #expect(deliveredAtKill.allSatisfy { $0 < expected.count }, "the kill must land mid-run: \(deliveredAtKill)")
        let inspector = try fixture.inspector(group: "crash-full-speed")
        let committedAtKill = try inspector.committedOffsets(topic: "orders")
        let committedTotal = committedAtKill.values.map { $0 ?? 0 }.reduce(0, +)

        let second = try RelayExecutable.start(
            ["run", "--config", config.path], environment: environment, log: directory.appendingPathComponent("second.log"))
        let finished = try await eventually(seconds: 240) {
            try inspector.committedAndEnd(topic: "orders").committed == 12_000 && platforms.allSatisfy { delivered($0) == expected.count }
        }
        #expect(finished)
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        #expect(second.terminationReason == .exit)
        #expect(second.terminationStatus == 0, "SIGTERM must drain, commit and exit 0")
        #expect(try inspector.committedAndEnd(topic: "orders") == (committed: 12_000, end: 12_000))

        #expect(committedTotal > 0, "the relay should commit settled offsets while it runs, not only when it stops")
        let ledger = checkLedger(fixture, platforms: platforms, expected: expected)
        for platform in platforms {
            let repeats = ledger.repeats[platform] ?? 0
            #expect(repeats <= 5_000, "\(platform) repeated \(repeats) events (committed at kill \(committedTotal), delivered at kill \(deliveredAtKill))")
            for eventID in ledger.repeatedEventIDs[platform] ?? [] {
                let position = try #require(positions[eventID])
                let committed = (committedAtKill[position.topicPartition] ?? nil) ?? 0
                #expect(position.offset >= committed, "\(platform): \(eventID) at \(position) repeated although committed up to \(committed)")
            }
        }
        print("full-speed crash test: delivered at kill \(deliveredAtKill), committed at kill \(committedTotal), repeats \(platforms.map { ledger.repeats[$0] ?? 0 })")
    }

    /// Runs `conversion-relay demo` as a user would and checks its result line and that no
    /// sample identifier or token appears anywhere in its output (logs at debug level included).
    @Test func demoSettlesEverythingAndLogsNoPersonalData() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("relay-demo-\(UUID().uuidString).log")
        let process = try RelayExecutable.start(["demo", "--orders", "200", "--log-level", "debug"], log: log)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let output = try String(contentsOf: log, encoding: .utf8)
        let lastLine = try #require(output.split(separator: "\n").last(where: { $0.hasPrefix("{\"published\"") }))
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(lastLine.utf8)) as? [String: Any])
        let generator = SampleOrderGenerator(seed: 42, malformedEvery: 25, nowSeconds: 0)
        let demoOrders = (0..<200).map(generator.sample)
        let valid = demoOrders.filter(\.isValid).count
        // Orders whose consent says no marketing go to no platform.
        let refused = demoOrders.filter { $0.isValid && !$0.marketingConsent }.count
        #expect(refused > 0)
        #expect(summary["published"] as? Int == 200)
        #expect(summary["valid"] as? Int == valid)
        let delivered = try #require(summary["delivered"] as? [String: Int])
        let excluded = try #require(summary["excluded"] as? [String: Int])
        #expect(Set(delivered.keys) == ["meta", "google", "tiktok", "pinterest", "snapchat"])
        for platform in delivered.keys {
            #expect(delivered[platform] == valid - refused, "\(platform)")
            #expect(excluded[platform] == refused, "\(platform)")
        }
        #expect(summary["retry_topic"] as? Int == 200 - valid)
        #expect(summary["committed"] as? Int == summary["end_offset"] as? Int)

        let lowered = output.lowercased()
        var checked = 0
        for order in demoOrders {
            for value in order.personalValues where value.count >= 5 {
                checked += 1
                #expect(!lowered.contains(value.lowercased()), "a sample identifier of \(order.orderID) appears in the output")
            }
        }
        #expect(checked > 500)
        let accounts = SandboxAccounts()
        for token in [accounts.metaAccessToken, accounts.tiktokAccessToken, accounts.pinterestAccessToken, accounts.snapchatAccessToken, "sandbox-google-access"] {
            #expect(!output.contains(token))
        }
        // The executable's heap is jemalloc's (it links it; the relay tunes it at start).
        let allocatorLine = try #require(output.split(separator: "\n").first { $0.contains("\"heap allocator\"") })
        let allocator = try #require(try JSONSerialization.jsonObject(with: Data(allocatorLine.utf8)) as? [String: String])
        #expect(allocator["allocator"] == "jemalloc")
        #expect(allocator["tuned"] == "true")
        // Captured (not a terminal), so the logs are JSON lines.
        let poisonLines = output.split(separator: "\n").filter { $0.contains("poison record routed to the retry topic") }
        #expect(poisonLines.count == 200 - valid, "debug logs were captured")
        for line in poisonLines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            #expect(object["level"] == "warning")
            #expect(object["kafka.partition"] != nil && object["error.class"] != nil)
        }
    }

    @Test func badConfigurationStopsStartUpNamingTheKey() throws {
        let cases: [(String, String)] = [
            ("kafka:\n  bootstrap_servers: x\ndestinations:\n  meta:\n    pixel_id: \"12\"\n    access_token: literal-token\n", "destinations.meta.access_token"),
            ("kafka:\n  bootstrap_servers: x\ndestinations:\n  meta:\n    pixel_id: abc\n    access_token: ${HOME}\n", "destinations.meta.pixel_id"),
            ("kafka:\n  bootstrap_servers: x\n  topik: orders\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${HOME}\n", "kafka.topik"),
            ("kafka:\n  bootstrap_servers: x\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${RELAY_UNSET_VARIABLE}\n", "destinations.meta.access_token"),
            ("kafka:\n  bootstrap_servers: x\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${HOME}\n    endpoint: ftp://x\n", "destinations.meta.endpoint"),
            ("kafka:\n  bootstrap_servers: x\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${HOME}\n    batch:\n      max_events: 5000\n", "destinations.meta.batch.max_events"),
            ("kafka:\n  bootstrap_servers: x\n  properties:\n    enable.auto.commit: \"false\"\ndestinations:\n  meta:\n    pixel_id: \"1\"\n    access_token: ${HOME}\n", "kafka.properties.enable.auto.commit"),
            ("kafka:\n  bootstrap_servers: x\ndestinations: {}\n", "destinations"),
        ]
        for (yaml, key) in cases {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
            try yaml.write(to: url, atomically: true, encoding: .utf8)
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).log")
            let process = try RelayExecutable.start(["check-config", "--config", url.path], log: log)
            process.waitUntilExit()
            let output = try String(contentsOf: log, encoding: .utf8)
            #expect(process.terminationStatus == 78, "\(key): \(output)")
            #expect(output.contains("configuration error: \(key)"), "expected the error to name \(key), got: \(output)")
            #expect(!output.contains("literal-token"))
        }
    }

    @Test func normalizeAnswersOneLinePerInput() throws {
        let lines = try normalize("""
            {"platform":"meta","field":"phone","value":"+44 (0)20 7946 0958"}
            {"platform":"google","field":"phone","value":"020 7946 0958","country":"GB"}
            {"platform":"google","field":"email","value":" J.Doe+x@GMAIL.com"}
            {"platform":"google","field":"city","value":"Paris"}
            {"platform":"meta","field":"email","value":"not an email"}
            not json

            """)
        #expect(lines.count == 6)
        #expect(lines[0]["normalized"] == "442079460958")
        #expect(lines[0]["send"] == "sha256")
        #expect(lines[1]["normalized"] == "+442079460958")
        #expect(lines[2]["normalized"] == "jdoe@gmail.com")
        #expect(lines[2]["sha256"] == "910789803908d9ab8a57b28ff0af7ab81b9607356aef6f18d8499eb1489ed8ab")
        #expect(lines[3]["send"] == "omit")
        #expect(lines[4]["error"] == "not an email address")
        #expect(lines[5]["error"] != nil)
    }

    /// Issue 21 item 11 through the command operators use: impossible phones give an error (and
    /// nothing to send), "00" and "011" prefixes give the right E.164.
    @Test func normalizeDropsImpossiblePhonesAndReadsInternationalPrefixes() throws {
        let lines = try normalize("""
            {"platform":"meta","field":"phone","value":"12345","country":"DE"}
            {"platform":"google","field":"phone","value":"0081 3 1234 5678","country":"JP"}
            {"platform":"tiktok","field":"phone","value":"011 81 3 1234 5678","country":"US"}
            {"platform":"snapchat","field":"phone","value":"0055 11 91234 5678","country":"BR"}

            """)
        #expect(lines.count == 4)
        #expect(lines.first?["error"] == "not a possible phone number for the customer's country")
        #expect(lines.first?["normalized"] == nil)
        #expect(lines.dropFirst().map { $0["normalized"] } == ["+81312345678", "+81312345678", "5511912345678"])
    }

    /// Feeds `input` (JSON lines) to `conversion-relay normalize`, expects exit status 0, and
    /// returns its answers, one object per line.
    func normalize(_ input: String) throws -> [[String: String]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("normalize-\(UUID().uuidString).jsonl")
        try input.write(to: file, atomically: true, encoding: .utf8)
        let finished = try RelayExecutable.run(["normalize"], standardInput: file)
        #expect(finished.status == 0, "\(finished.standardError)")
        return try finished.outputLines.map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] ?? [:]
        }
    }

    @Test func previewPrintsEveryRequestWithSecretsRedactedAndSendsNothing() async throws {
        let sandbox = try await SandboxServer()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("preview-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let tokenFile = directory.appendingPathComponent("pinterest-token")
        try "sandbox-pinterest-token\n".write(to: tokenFile, atomically: true, encoding: .utf8)
        let accounts = sandbox.accounts
        let config = try writeSandboxDestinationsConfig(sandbox, in: directory, pinterestToken: "access_token_file: \(tokenFile.path)")
        var event = try fullExampleOrder()
        event = event.replacing("2026-11-26T10:15:30Z", with: RFC3339.format(epochSeconds: Int64(Date().timeIntervalSince1970) - 60))
        let eventFile = directory.appendingPathComponent("event.json")
        try event.write(to: eventFile, atomically: true, encoding: .utf8)
        let preview = try RelayExecutable.run(
            ["preview", "--config", config.path, "--event", eventFile.path],
            environment: ["META_TOKEN": accounts.metaAccessToken, "TIKTOK_TOKEN": accounts.tiktokAccessToken, "SNAP_TOKEN": accounts.snapchatAccessToken])
        let output = preview.output
        #expect(preview.status == 0, "\(output)")
        for platform in ["meta", "google", "tiktok", "pinterest", "snapchat"] { #expect(output.contains("=== \(platform) ===")) }
        #expect(output.contains("POST \(sandbox.baseURL)/v1/events:ingest"))
        #expect(output.contains("/v3/\(accounts.snapchatPixelID)/events?access_token=<redacted>"))
        // Snapchat's external_id is one string and its quantities are strings
        // (Snapchat/business-sdk-v3-java model/UserData.java, model/Content.java).
        let snapchat = try #require(output.components(separatedBy: "=== snapchat ===").last)
        #expect(snapchat.contains("\"external_id\":\"8a3c5a67cad508582b5edf6b8352cea3ffbad7f44812c1a736b4444c0f5746aa\""), "\(snapchat)")
        #expect(snapchat.contains("\"quantity\":\"1\"") && snapchat.contains("\"quantity\":\"3\""), "\(snapchat)")
        for secret in [accounts.metaAccessToken, accounts.tiktokAccessToken, accounts.pinterestAccessToken, accounts.snapchatAccessToken, "BEGIN PRIVATE KEY"] {
            #expect(!output.contains(secret))
        }
        for platform in ["meta", "google", "tiktok", "pinterest", "snapchat"] {
            #expect(sandbox.requestCount(platform) == 0, "preview must not send anything")
        }
        try await sandbox.shutdown()
    }
}
