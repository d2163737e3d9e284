import Foundation
import Logging
import RelayService
import Testing

/// The relay's loggers in these tests: warnings and worse only.
let serviceTestLogger: Logger = {
    var logger = Logger(label: "relay-service-test")
    logger.logLevel = .warning
    return logger
}()

/// The repository's root folder, for the files these tests read (examples, docs, chart, schemas).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The contract's full example order (schemas/examples/valid/full.json), as text.
func fullExampleOrder() throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent("schemas/examples/valid/full.json"), encoding: .utf8)
}

/// Loads `yaml`, expecting start-up to be refused naming `key`; returns the error for further checks.
@discardableResult
func expectRefusal(
    _ yaml: String, environment: [String: String], naming key: String, sourceLocation: SourceLocation = #_sourceLocation
) -> ConfigurationError? {
    do {
        _ = try ConfigurationLoader(environment: environment).load(yaml: yaml)
        Issue.record("accepted, expected an error naming \(key)", sourceLocation: sourceLocation)
        return nil
    } catch {
        #expect(error.key == key, "\(error)", sourceLocation: sourceLocation)
        return error
    }
}

/// What schemas/config.v1.json says of each file (schemas/validate_config.py, run in the project's
/// Python environment from scripts/setup.sh, not whatever python3 is on the PATH): path -> errors.
func configSchemaErrors(_ paths: [String]) throws -> [String: [String]] {
    let process = Process()
    process.executableURL = repositoryRoot.appendingPathComponent(".venv/bin/python3")
    process.arguments = [repositoryRoot.appendingPathComponent("schemas/validate_config.py").path] + paths
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String]])
}
