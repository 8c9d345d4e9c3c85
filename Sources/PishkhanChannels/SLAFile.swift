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
        do {
            return try YAMLDecoder().decode(SLAConfiguration.self, from: yaml)
        } catch let error as ValidationError {
            throw SLAFileError(file: file, field: error.field, reason: error.reason)
        } catch DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx) {
            throw SLAFileError(file: file, field: ctx.codingPath.fieldPath, reason: "has the wrong type")
        } catch DecodingError.keyNotFound(let key, let ctx) {
            throw SLAFileError(file: file, field: (ctx.codingPath + [key]).fieldPath, reason: "is required")
        } catch DecodingError.dataCorrupted(let ctx) {
            throw SLAFileError(file: file, field: ctx.codingPath.fieldPath, reason: ctx.debugDescription)
        } catch {
            throw SLAFileError(file: file, field: "(document)", reason: "is not valid YAML: \(error)")
        }
    }
}

public struct SLAFileError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var field: String
    public var reason: String
    public var description: String { "SLA/\(file): \(field) \(reason)" }
}

extension [any CodingKey] {
    /// "policies[2].targets.firstResponse".
    var fieldPath: String {
        var out = ""
        for key in self {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out.isEmpty ? "(document)" : out
    }
}
