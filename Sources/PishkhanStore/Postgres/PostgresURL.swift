import Foundation
import PostgresNIO

/// `PISHKHAN_DATABASE_URL=postgres://user:password@host:port/database?…`, read into the client's settings.
///
/// Query parameters: `pool_size` (connections per process, default 20), `pool_min` (kept open, default 2),
/// `connect_timeout` (seconds, default 10), `sslmode` (`disable`, `prefer`, `require`; default `prefer` except
/// on a loopback host, where it is `disable`). The user name and password are percent-decoded.
public struct PostgresURL: Sendable, Equatable {
    public enum TLSMode: String, Sendable { case disable, prefer, require }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var poolSize: Int
    public var poolMinimum: Int
    public var connectTimeout: Duration
    public var tls: TLSMode

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased())
        else { throw Invalid(description: "PISHKHAN_DATABASE_URL: expected postgres://user:password@host:port/database") }
        guard let host = components.host, !host.isEmpty else { throw Invalid(description: "PISHKHAN_DATABASE_URL names no host") }
        guard let user = components.percentEncodedUser?.removingPercentEncoding, !user.isEmpty else {
            throw Invalid(description: "PISHKHAN_DATABASE_URL names no user")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw Invalid(description: "PISHKHAN_DATABASE_URL names no database") }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.password = components.percentEncodedPassword?.removingPercentEncoding
        self.database = database.removingPercentEncoding ?? database
        self.poolSize = 20
        self.poolMinimum = 2
        self.connectTimeout = .seconds(10)
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased())
        self.tls = loopback ? .disable : .prefer
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            func integer(_ range: ClosedRange<Int>) throws -> Int {
                guard let n = Int(value), range.contains(n) else {
                    throw Invalid(description: "PISHKHAN_DATABASE_URL: \(item.name) must be a whole number in \(range.lowerBound)…\(range.upperBound)")
                }
                return n
            }
            switch item.name {
            case "pool_size": poolSize = try integer(1...1_000)
            case "pool_min": poolMinimum = try integer(0...1_000)
            case "connect_timeout": connectTimeout = .seconds(try integer(1...600))
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw Invalid(description: "PISHKHAN_DATABASE_URL: sslmode must be disable, prefer or require")
                }
                tls = mode
            default:
                throw Invalid(description: "PISHKHAN_DATABASE_URL: unknown parameter \(item.name)")
            }
        }
        guard poolMinimum < poolSize else { throw Invalid(description: "PISHKHAN_DATABASE_URL: pool_min must be below pool_size") }
    }

    /// The URL without its password, for logs and `pishkhan migrate`'s output.
    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS
        switch tls {
        case .disable: tlsSetting = .disable
        case .prefer: tlsSetting = .prefer(.makeClientConfiguration())
        case .require: tlsSetting = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
        configuration.options.maximumConnections = poolSize
        configuration.options.minimumConnections = poolMinimum
        configuration.options.connectTimeout = connectTimeout
        return configuration
    }

    /// The same settings for a single connection outside the pool (the event listener's).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tlsSetting: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable: tlsSetting = .disable
        case .prefer: tlsSetting = .prefer(try .init(configuration: .makeClientConfiguration()))
        case .require: tlsSetting = .require(try .init(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tlsSetting)
        configuration.options.connectTimeout = .seconds(Int64(connectTimeout.components.seconds))
        return configuration
    }
}
