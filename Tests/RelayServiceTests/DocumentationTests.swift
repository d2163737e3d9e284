import Foundation
import RelayService
import Testing

/// The metrics the docs, the dashboard and the alerts name are the ones the code registers
/// (RelayMetricCatalogue, which RelayTelemetry refuses to step outside of).
@Suite struct MetricsDocumentationTests {
    static func text(_ path: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent(path), encoding: .utf8)
    }

    /// The table in docs/operations.md, as the catalogue would write it.
    static var expectedTable: String {
        RelayMetricCatalogue.all.map { metric in
            let labels = metric.labels.isEmpty ? "—" : metric.labels.map { "`\($0)`" }.joined(separator: ", ")
            return "| `\(metric.name)` | \(metric.kind.rawValue) | \(labels) | \(metric.help) |"
        }.joined(separator: "\n")
    }

    @Test func operationsListsEveryMetricWithItsLabels() throws {
        let operations = try Self.text("docs/operations.md")
        let section = try #require(operations.split(separator: "\n## ").first { $0.hasPrefix("Metrics\n") })
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("| `conversion_relay_") }.joined(separator: "\n")
        #expect(rows == Self.expectedTable, "docs/operations.md's metrics table should read:\n\(Self.expectedTable)")
    }

    /// Every metric name in the README, the operations guide, the dashboard and the alerts exists.
    @Test func everyMetricNamedAnywhereExists() throws {
        let names = Set(RelayMetricCatalogue.all.map(\.name))
        let pattern = try Regex(#"conversion_relay_[a-z_]+"#)
        for path in [
            "README.md", "docs/operations.md", "helm/conversion-relay/files/grafana-dashboard.json",
            "helm/conversion-relay/templates/prometheusrule.yaml", "helm/conversion-relay/templates/NOTES.txt",
        ] {
            let text = try Self.text(path)
            for match in text.matches(of: pattern) {
                var name = String(text[match.range])
                for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) && !names.contains(name) {
                    name = String(name.dropLast(suffix.count))
                }
                #expect(names.contains(name), "\(path) names \(name), which the relay does not export")
            }
        }
    }
}

/// Every YAML example in the README and docs/ is valid YAML to the relay's own parser (snippets
/// may be partial configurations, so only a syntax error fails).
@Suite struct DocumentationExamplesTests {
    @Test func everyYAMLExampleParses() throws {
        let docs = repositoryRoot.appendingPathComponent("docs")
        let files = ["README.md"] + (try FileManager.default.contentsOfDirectory(atPath: docs.path)).filter { $0.hasSuffix(".md") }
            .map { "docs/\($0)" }
        var blocks = 0
        for file in files {
            let text = try MetricsDocumentationTests.text(file)
            for match in text.matches(of: try Regex(#"```yaml\n([\s\S]*?)```"#)) {
                blocks += 1
                let yaml = String(match.output[1].substring ?? "")
                do {
                    _ = try ConfigurationLoader(environment: [:]).load(yaml: yaml)
                } catch {
                    #expect(!error.problem.hasPrefix("not valid YAML"), "\(file): \(error.problem)\n\(yaml)")
                }
            }
        }
        #expect(blocks >= 2)
    }
}
