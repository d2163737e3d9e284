import Foundation
import Testing

/// The Helm chart lints clean with Helm's own library, and its values schema rejects inline
/// secrets, so nothing secret can be rendered into the ConfigMap (helm/lint.py).
@Suite struct HelmChartTests {
    @Test func chartLintsCleanAndRefusesInlineSecrets() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("helm/lint.py").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("chart as shipped: clean"))
        #expect(text.contains("inline access token: rejected"))
        #expect(text.contains("inline SASL password: rejected"))
    }
}
