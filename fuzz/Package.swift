// swift-tools-version: 6.1
// A libFuzzer target for the event decoder. Its own package, so sanitizer flags never touch the
// main build: `make fuzz` (or FUZZ_SECONDS=300 make fuzz).
import PackageDescription

let package = Package(
    name: "conversion-relay-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "conversion-relay", path: "..")],
    targets: [
        .executableTarget(
            name: "DecoderFuzzer",
            dependencies: [.product(name: "RelayCore", package: "conversion-relay")],
            swiftSettings: [.unsafeFlags(["-parse-as-library", "-sanitize=fuzzer,address"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        )
    ]
)
