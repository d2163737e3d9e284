import Foundation
import Testing

/// The Helm chart, rendered through Helm's own Go SDK for three value sets (defaults, every option
/// with a StatefulSet, the retry consumer split out) and reviewed by helm/check_chart.py: every
/// object validates strictly against Kubernetes' schemas or its CRD's, no credential reaches a
/// ConfigMap, the retry consumer gets its own Deployment, the KEDA trigger authenticates, and
/// values that would leak a secret or cannot work are refused with a message naming the value.
@Suite struct HelmChartTests {
    @Test func chartRendersValidatesAndRefusesWhatCannotWork() throws {
        let process = Process()
        // The project's Python environment (scripts/setup.sh), not whatever python3 is on the PATH.
        process.executableURL = repositoryRoot.appendingPathComponent(".venv/bin/python3")
        process.arguments = [repositoryRoot.appendingPathComponent("helm/check_chart.py").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        for line in [
            "ok: defaults: Deployment/relay-conversion-relay validates strictly",
            "ok: every option with a StatefulSet: StatefulSet/relay-conversion-relay validates strictly",
            "ok: every option with a StatefulSet: ScaledObject/relay-conversion-relay matches its CRD schema",
            "ok: every option with a StatefulSet: TriggerAuthentication/relay-conversion-relay-kafka matches its CRD schema",
            "ok: every option with a StatefulSet: ServiceMonitor/relay-conversion-relay matches its CRD schema",
            "ok: every option with a StatefulSet: PrometheusRule/relay-conversion-relay matches its CRD schema",
            "ok: retry consumer split out: Deployment/relay-conversion-relay-retry validates strictly",
            "ok: every option with a StatefulSet: no credential or key material in a ConfigMap",
            "ok: retry.in_process false: a retry Deployment runs `conversion-relay retry`",
            "ok: KEDA trigger authenticates through the TriggerAuthentication",
            "ok: KEDA authentication uses the relay's own Secrets",
            "ok: refused: inline ssl.key.pem",
            "ok: refused: inline destinations.google.access_token",
            "ok: refused: no image.repository, with a clear message",
            "all chart checks passed",
        ] {
            #expect(text.contains(line), "missing: \(line)\n\(text)")
        }
    }
}
