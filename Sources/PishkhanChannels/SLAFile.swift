import Foundation
import PishkhanCore
import Yams

/// The SLA calendars and policies a fresh install starts with (`SLA/sla.yaml`). Read and validated at
/// start like the channel files; once stored, admins change them through the API and the file is not
/// read into the database again.
public enum SLAFile {
    public static func load(from url: URL) throws -> SLAConfiguration {
        let name = url.lastPathComponent
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw SLAFileError(file: name, field: "(file)", reason: "cannot be read at \(url.path)")
        }
        return try parse(text, file: name)
    }

    public static func parse(_ yaml: String, file: String) throws -> SLAConfiguration {
        try YAMLContent.decode(SLAConfiguration.self, yaml) { SLAFileError(file: file, field: $0, reason: $1) }
    }
}

public struct SLAFileError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var field: String
    public var reason: String
    public var description: String { "SLA/\(file): \(field) \(reason)" }
}
