/// A mailbox: address and optional decoded display name.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The addr-spec as written (`local@domain`), without angle brackets.
    public var address: String
    /// Decoded display name (RFC 2047 words and raw UTF-8 decoded), nil when absent.
    public var displayName: String?

    public init(address: String, displayName: String? = nil) {
        self.address = address
        self.displayName = displayName
    }

    /// Part before the last `@`.
    public var localPart: String {
        guard let at = address.lastIndex(of: "@") else { return address }
        return String(address[..<at])
    }

    /// Part after the last `@`, lowercased; empty when there is none.
    public var domain: String {
        guard let at = address.lastIndex(of: "@") else { return "" }
        return address[address.index(after: at)...].lowercased()
    }

    public var description: String {
        if let name = displayName, !name.isEmpty { return "\(name) <\(address)>" }
        return address
    }
}
