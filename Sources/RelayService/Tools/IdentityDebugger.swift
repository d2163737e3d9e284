import RelayCore
import RelayCrypto
import RelayPII

/// `conversion-relay normalize`: one JSON line in, one JSON line out, for debugging match quality.
///
/// In: `{"platform":"meta|google|tiktok|pinterest|snapchat","field":"email|phone|…","value":"…","country":"GB"}`
/// Out: `{"normalized":"…","sha256":"…","send":"sha256|plain|omit"}` or `{"error":"…"}`.
public enum IdentityDebugger {
    public static func process(line: String) -> String {
        var writer = JSONWriter()
        writer.beginObject()
        do throws(IdentityDebuggerError) {
            let (platform, field, value, country) = try parse(line)
            let result: OwnedIdentifier
            do {
                result = try IdentityNormalizer().normalize(field, RawPII(value), for: platform, countryHint: country.map(RawPII.init))
            } catch {
                throw IdentityDebuggerError(error.description)
            }
            writer.key("normalized"); writer.string(result.normalized.unredactedValue)
            writer.key("sha256")
            let digest = result.sha256 ?? SHA256.hexDigest(result.normalized.unredactedValue)
            writer.string(digest)
            writer.key("send"); writer.string(result.transmission.rawValue)
        } catch {
            writer.key("error"); writer.string(error.description)
        }
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private static func parse(_ line: String) throws(IdentityDebuggerError) -> (Platform, IdentityField, String, String?) {
        guard case .object(let object)? = try? JSONParser().parse(Array(line.utf8)) else {
            throw IdentityDebuggerError("each line must be a JSON object")
        }
        guard case .string(let platformName)? = object["platform"], let platform = Platform(rawValue: platformName) else {
            throw IdentityDebuggerError("platform must be one of \(Platform.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case .string(let fieldName)? = object["field"], let field = IdentityField(rawValue: fieldName) else {
            throw IdentityDebuggerError("field must be one of \(IdentityField.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case .string(let value)? = object["value"] else { throw IdentityDebuggerError("value must be a string") }
        var country: String? = nil
        if let countryValue = object["country"], !countryValue.isNull {
            guard case .string(let text) = countryValue else { throw IdentityDebuggerError("country must be a string") }
            country = text
        }
        return (platform, field, value, country)
    }
}

struct IdentityDebuggerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
