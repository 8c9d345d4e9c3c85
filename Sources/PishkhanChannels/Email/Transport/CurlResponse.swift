/// What a finished transfer produced.
public struct CurlResponse: Sendable {
    /// Downloaded bytes: a fetched message, or the untagged lines of a custom IMAP command.
    public var body: [UInt8]
    /// The last server response lines (curl passes IMAP/SMTP replies to the header callback), oldest first.
    public var serverLines: [String]
    /// CURLINFO_RESPONSE_CODE: the last SMTP reply code; 0 when there is none.
    public var responseCode: Int
}
