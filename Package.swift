// swift-tools-version: 6.1
// conversion-relay: server-side conversion pipeline from Kafka to ad-platform conversion APIs.

import PackageDescription

let package = Package(
    name: "conversion-relay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "conversion-relay", targets: ["conversion-relay"]),
        .library(name: "RelayService", targets: ["RelayService"]),
        .library(name: "RelayCore", targets: ["RelayCore"]),
        // For the benchmarks package (benchmarks/), which depends on this one by path.
        .library(name: "RelayKafka", targets: ["RelayKafka"]),
        .library(name: "RelayPII", targets: ["RelayPII"]),
        .library(name: "RelayInput", targets: ["RelayInput"]),
        .library(name: "RelayDestinations", targets: ["RelayDestinations"]),
        .library(name: "RelayHTTP", targets: ["RelayHTTP"]),
        .library(name: "RelaySandbox", targets: ["RelaySandbox"]),
        .library(name: "RelayDemo", targets: ["RelayDemo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries from Debian, exposed to Swift and nothing else.
        .systemLibrary(name: "Crdkafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // jq 1.6 (Debian's libjq-dev ships no pkg-config file; the module map links libjq).
        .systemLibrary(name: "CJQ", providers: [.apt(["libjq-dev"])]),
        // The C we write for libcurl and librdkafka (prefix `relay_cshim_`): non-variadic wrappers.
        .target(name: "CRelayShims", dependencies: ["Crdkafka", "CCurl"]),
        // The C we write over OpenSSL: SHA-256 and hexadecimal digits (`relay_sha256_digest`), for RelayCrypto.
        .target(name: "CRelayDigest", dependencies: ["COpenSSL"]),
        // jemalloc's settings (`malloc_conf`), for the executable only: embedders keep theirs.
        .target(name: "CRelayJemallocSettings", dependencies: ["CRelayShims"]),
        // Google's libphonenumber (C++, Debian libphonenumber-dev) behind one C function.
        .target(
            name: "CPhoneNumber",
            // ICU and protobuf: libphonenumber's own dependencies, used directly for its validity
            // patterns compiled once (valid_number.cpp).
            linkerSettings: [
                .linkedLibrary("phonenumber"), .linkedLibrary("protobuf"), .linkedLibrary("icui18n"),
                .linkedLibrary("icuuc"), .linkedLibrary("stdc++"),
            ]
        ),

        // Pure domain logic: event contract, event ids, offset frontier, batching. No C, no I/O.
        .target(name: "RelayCore"),
        // The relay's decisions as value types (events and the time in, actions out): settlement,
        // batching and pacing, delivery attempts, backpressure, retry hold, rebalances, commits.
        .target(name: "RelayEngineCore", dependencies: ["RelayCore"]),
        // Cryptographic primitives over OpenSSL: SHA-256, RS256 (JWT) signing and verification.
        .target(name: "RelayCrypto", dependencies: ["COpenSSL", "CRelayDigest"]),
        // Identifier normalisation and hashing, per platform.
        .target(name: "RelayPII", dependencies: ["RelayCore", "RelayCrypto", "CPhoneNumber"]),
        // Other event shapes (Segment, Shopify, a jq program) turned into the native contract.
        .target(name: "RelayInput", dependencies: ["RelayCore", "CJQ"]),
        // librdkafka behind a safe Swift API.
        .target(
            name: "RelayKafka",
            dependencies: ["RelayCore", "Crdkafka", "CRelayShims", .product(name: "Logging", package: "swift-log")]
        ),
        // libcurl multi behind an async HTTP client.
        .target(name: "RelayHTTP", dependencies: ["RelayCore", "CCurl", "CRelayShims"]),
        // One request encoder and response classifier per ad platform.
        .target(name: "RelayDestinations", dependencies: ["RelayCore", "RelayCrypto", "RelayPII", "RelayHTTP"]),
        // A small HTTP/1.1 server on SwiftNIO for local endpoints (metrics, health, sandbox).
        .target(
            name: "RelayHTTPServer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Local servers that behave like the platforms' APIs (tests, demo, benchmarks).
        .target(name: "RelaySandbox", dependencies: ["RelayCore", "RelayCrypto", "RelayPII", "RelayHTTPServer"]),
        // Composition: consumer, dispatch, settlement, configuration.
        .target(
            name: "RelayService",
            dependencies: [
                "RelayCore", "RelayEngineCore", "RelayPII", "RelayKafka", "RelayHTTP", "RelayDestinations",
                "RelayHTTPServer", "RelayInput", "CRelayShims",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // `conversion-relay demo`: sample orders, an in-process cluster and the sandboxes around
        // the service (tests and benchmarks use its order generator too).
        .target(
            name: "RelayDemo",
            dependencies: [
                "RelayCore", "RelayService", "RelayKafka", "RelayHTTP", "RelayDestinations", "RelaySandbox", "RelayInput",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "conversion-relay",
            dependencies: [
                "RelayCore", "RelayService", "RelayDemo", "RelayDestinations", "RelayHTTP", "RelayInput", "CRelayJemallocSettings",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // jemalloc serves the relay's heap (ProcessMemory.configureAllocator); only the
            // executable links it, so tests and the benchmark harness keep glibc's malloc.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),

        .testTarget(name: "RelayCoreTests", dependencies: ["RelayCore"]),
        .testTarget(name: "RelayInputTests", dependencies: ["RelayCore", "RelayInput"]),
        .testTarget(name: "RelayEngineCoreTests", dependencies: ["RelayCore", "RelayEngineCore"]),
        // The engine (RelayService's driver) against in-memory implementations of its boundary
        // protocols: no socket, no Kafka; a unit target (runs in `make test`'s parallel phase).
        .testTarget(
            name: "RelayEngineTests",
            dependencies: [
                "RelayCore", "RelayService", "RelayKafka", "RelayHTTP", "RelayDestinations",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // RelayService's decisions and documents without Kafka or a child process: configuration
        // loading, the docs and the Helm chart, record preparation, input mappings, `verify`
        // and health (the sandboxes on loopback at most); a unit target.
        .testTarget(
            name: "RelayServiceTests",
            dependencies: [
                "RelayCore", "RelayCrypto", "RelayService", "RelayDemo", "RelayKafka", "RelaySandbox", "RelayDestinations",
                "RelayHTTP", "RelayInput", .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "RelayPIITests", dependencies: ["RelayCore", "RelayCrypto", "RelayPII"]),
        .testTarget(
            name: "RelayDestinationsTests",
            dependencies: [
                "RelayCore", "RelayCrypto", "RelayPII", "RelayDestinations", "RelaySandbox", "RelayHTTP", "RelayHTTPServer",
            ],
            exclude: ["Golden"]  // read by path: the exact request bodies each platform receives
        ),
        .testTarget(
            name: "RelayKafkaTests",
            dependencies: ["RelayCore", "RelayKafka", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "RelayIntegrationTests",
            dependencies: [
                "RelayCore", "RelayCrypto", "RelayService", "RelayDemo", "RelayKafka", "RelaySandbox", "RelayDestinations",
                "RelayHTTP", "RelayInput", "conversion-relay", .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    cxxLanguageStandard: .cxx17
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
