import CCurl

/// Runs `curl_global_init` exactly once per process, because libcurl's global setup is not thread-safe.
///
/// A `static let` initialiser runs once under a lock and its value never changes, so this is not mutable state.
enum CurlRuntime {
    /// Raw `CURLcode` of the one `curl_global_init(CURL_GLOBAL_ALL)` call.
    static let initCode: UInt32 = cm_global_init().rawValue

    /// Triggers the one-time initialisation and reports a failure as a `CurlError`.
    static func ensureInitialized() throws(CurlError) {
        guard initCode == CURLE_OK.rawValue else {
            let code = CURLcode(rawValue: initCode)
            throw CurlError(code: code, message: "curl_global_init failed: \(CurlError.describe(code))")
        }
    }
}
