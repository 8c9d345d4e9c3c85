import Foundation

/// Checks shared by the kind-specific sections of channel files.
enum ConfigValue {
    /// The name of an environment variable holding a secret (never the secret itself).
    static func variable(_ value: String?, _ field: String, example: String, fail: (String, String) -> ChannelConfigError) throws -> String {
        guard let value else { throw fail(field, "is required: the name of the environment variable that holds it, like \(example)") }
        guard value.range(of: "^[A-Z_][A-Z0-9_]*$", options: .regularExpression) != nil else {
            throw fail(field, "must name an environment variable, like \(example)")
        }
        return value
    }

    /// An http(s) URL with a host and no query or fragment, without its trailing slash.
    static func httpURL(_ text: String, field: String, fail: (String, String) -> ChannelConfigError) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let url = URLComponents(string: trimmed), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil else {
            throw fail(field, "'\(text)' is not an http:// or https:// address without query")
        }
        var result = trimmed
        while result.hasSuffix("/") { result.removeLast() }
        return result
    }
}
