/// The header fields of one entity, in order. Lookup is case-insensitive and repeated fields are all kept.
public struct MIMEHeaders: Sendable, Hashable, RandomAccessCollection {
    public private(set) var fields: [MIMEHeader]

    public init(_ fields: [MIMEHeader] = []) { self.fields = fields }

    public var startIndex: Int { fields.startIndex }
    public var endIndex: Int { fields.endIndex }
    public subscript(position: Int) -> MIMEHeader { fields[position] }

    /// First field with this name (case-insensitive), if any.
    public subscript(name: String) -> MIMEHeader? {
        let key = name.lowercased()
        return fields.first { $0.lowercasedName == key }
    }

    /// All fields with this name (case-insensitive), in order.
    public func all(_ name: String) -> [MIMEHeader] {
        let key = name.lowercased()
        return fields.filter { $0.lowercasedName == key }
    }

    /// True if at least one field has this name.
    public func contains(_ name: String) -> Bool { self[name] != nil }

    mutating func append(_ field: MIMEHeader) { fields.append(field) }
}
