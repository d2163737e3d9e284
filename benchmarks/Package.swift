// swift-tools-version: 6.1
// Benchmarks for conversion-relay, in their own package so their dependencies never slow the
// relay's build. `make bench` runs the end-to-end harness; `make microbench` the micro-benchmarks.

import PackageDescription

let package = Package(
    name: "conversion-relay-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "conversion-relay", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "relay-bench",
            dependencies: [
                .product(name: "RelayService", package: "conversion-relay"),
                .product(name: "RelayDemo", package: "conversion-relay"),
                .product(name: "RelayCore", package: "conversion-relay"),
                .product(name: "RelayKafka", package: "conversion-relay"),
                .product(name: "RelaySandbox", package: "conversion-relay"),
                .product(name: "RelayDestinations", package: "conversion-relay"),
                .product(name: "RelayHTTP", package: "conversion-relay"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/RelayBench"
        ),
        .executableTarget(
            name: "relay-hot-path",
            dependencies: [
                .product(name: "RelayCore", package: "conversion-relay"),
                .product(name: "RelayDestinations", package: "conversion-relay"),
                .product(name: "RelayService", package: "conversion-relay"),
                .product(name: "RelayDemo", package: "conversion-relay"),
                .product(name: "RelayInput", package: "conversion-relay"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/RelayHotPath"
        ),
        .executableTarget(
            name: "sha256-timing",
            dependencies: [.product(name: "RelayPII", package: "conversion-relay")],
            path: "Sources/SHA256Timing"
        ),
        .target(name: "CInstructionSteps", path: "Sources/CInstructionSteps"),
        .executableTarget(
            name: "instruction-steps",
            dependencies: ["CInstructionSteps"],
            path: "Sources/InstructionSteps"
        ),
        .executableTarget(
            name: "RelayMicro",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RelayCore", package: "conversion-relay"),
                .product(name: "RelayPII", package: "conversion-relay"),
                .product(name: "RelayDestinations", package: "conversion-relay"),
                .product(name: "RelayService", package: "conversion-relay"),
                .product(name: "RelayDemo", package: "conversion-relay"),
            ],
            path: "Benchmarks/RelayMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .testTarget(
            name: "RelayBenchTests",
            dependencies: [
                "relay-bench",
                "sha256-timing",
                "CInstructionSteps",
                .product(name: "RelaySandbox", package: "conversion-relay"),
            ],
            path: "Tests/RelayBenchTests"
        ),
    ]
)
