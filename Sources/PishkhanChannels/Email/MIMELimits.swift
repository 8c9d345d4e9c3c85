/// Resource limits applied while parsing, so hostile input cannot exhaust the stack or memory.
public struct MIMELimits: Sendable, Hashable {
    /// Maximum nesting of multipart and message/rfc822 entities; deeper entities are kept as opaque leaves.
    public var maxDepth: Int
    /// Maximum number of entities in the whole tree; further parts are dropped.
    public var maxParts: Int
    /// Maximum header fields kept per entity; further fields are skipped.
    public var maxHeaderFields: Int

    public init(maxDepth: Int = 32, maxParts: Int = 1000, maxHeaderFields: Int = 1000) {
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxHeaderFields = maxHeaderFields
    }

    public static let `default` = MIMELimits()
}
