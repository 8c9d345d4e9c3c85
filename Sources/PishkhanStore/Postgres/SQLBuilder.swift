import PostgresNIO

/// Builds a statement whose shape depends on the data (multi-row VALUES, optional filters) with every
/// value bound as a parameter: `bind` appends the value and returns its placeholder (`$3`).
struct SQLBuilder {
    private(set) var sql = ""
    private var binds = PostgresBindings()

    init(_ sql: String = "") { self.sql = sql }

    mutating func append(_ text: String) { sql += text }

    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value?) -> String {
        if let value { binds.append(value, context: .default) } else { binds.appendNull() }
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
