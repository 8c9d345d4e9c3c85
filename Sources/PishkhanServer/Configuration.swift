import Foundation
import PishkhanCore
import PishkhanStore

/// Everything the server needs, parsed once by the executable and passed down.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Holds the database (unless `databasePath` says otherwise) and attachment files.
    public var dataDirectory: URL
    public var databasePath: String
    public var channelsDirectory: URL
    public var knowledgeBaseDirectory: URL
    public var priorityRules: PriorityRules
    public var defaultCountryCode: String

    public init(
        host: String = "127.0.0.1", port: Int = 8080, dataDirectory: URL = URL(fileURLWithPath: "data"),
        databasePath: String? = nil, channelsDirectory: URL = URL(fileURLWithPath: "Channels"),
        knowledgeBaseDirectory: URL = URL(fileURLWithPath: "KnowledgeBase"), priorityRules: PriorityRules = .standard,
        defaultCountryCode: String = "98"
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.databasePath = databasePath ?? dataDirectory.appendingPathComponent("pishkhan.sqlite").path
        self.channelsDirectory = channelsDirectory
        self.knowledgeBaseDirectory = knowledgeBaseDirectory
        self.priorityRules = priorityRules
        self.defaultCountryCode = defaultCountryCode
    }

    /// Reads a SQLite `PISHKHAN_DATABASE_URL` (`sqlite:///absolute/path` or `sqlite://relative/path`); a
    /// `postgres://` one is read by `PostgresURL`.
    public static func databasePath(fromURL url: String) throws -> String {
        guard url.hasPrefix("sqlite://") else {
            throw ValidationError(field: "PISHKHAN_DATABASE_URL", reason: "must start with sqlite:// or postgres://")
        }
        let path = String(url.dropFirst("sqlite://".count))
        guard !path.isEmpty else { throw ValidationError(field: "PISHKHAN_DATABASE_URL", reason: "names no file") }
        return path
    }
}
