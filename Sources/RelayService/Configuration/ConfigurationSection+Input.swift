import Foundation
import RelayInput
import Yams

extension ConfigurationSection {
    /// `input`: the records' format and, for `jq`, its program, compiled here so that a program
    /// that does not compile stops start-up (and `check-config`) naming its key. Reads the
    /// program's file, if any; starts nothing.
    func inputSettings() throws(ConfigurationError) -> InputSettings {
        try allowOnly(["format", "program", "program_file", "advertising_category"])
        let formatName = try string("format") ?? InputFormat.native.rawValue
        guard let format = InputFormat(rawValue: formatName) else {
            throw ConfigurationError(
                key: key("format"), problem: "must be one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for name in ["program", "program_file"] where format != .jq && node(name) != nil {
            throw ConfigurationError(key: key(name), problem: "applies to format jq only")
        }
        if format != .segment, node("advertising_category") != nil {
            throw ConfigurationError(key: key("advertising_category"), problem: "applies to format segment only")
        }
        switch format {
        case .native:
            return .native
        case .segment:
            let category = try string("advertising_category") ?? "Advertising"
            guard !category.isEmpty else { throw ConfigurationError(key: key("advertising_category"), problem: "is empty") }
            return InputSettings(mapping: SegmentMapping(advertisingCategory: category))
        case .shopify:
            return InputSettings(mapping: ShopifyMapping())
        case .jq:
            let (source, sourceKey) = try jqProgram()
            do {
                return InputSettings(mapping: try JQMapping(program: source))
            } catch {
                throw ConfigurationError(key: sourceKey, problem: "the jq program does not compile: \(error.description)")
            }
        }
    }

    /// The jq program's text and the key it came from. Taken as written: `${…}` is not expanded.
    private func jqProgram() throws(ConfigurationError) -> (source: String, key: String) {
        let inline = node("program")?.scalar?.string
        let file = try string("program_file")
        switch (inline, file) {
        case (nil, nil):
            throw ConfigurationError(key: key("program"), problem: "is required for format jq (or program_file)")
        case (.some, .some):
            throw ConfigurationError(key: key("program"), problem: "give either program or program_file, not both")
        case (.some(let text), nil):
            return (text, key("program"))
        case (nil, .some(let path)):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError(key: key("program_file"), problem: "cannot read the file")
            }
            return (text, key("program_file"))
        }
    }
}
