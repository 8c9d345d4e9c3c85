import Foundation
import Hummingbird
import PishkhanCore

/// Typed access to query parameters: a value that does not parse is a 422 naming the parameter,
/// never silently ignored.
struct Query {
    let request: Request

    func string(_ name: String) -> String? {
        guard let v = request.uri.queryParameters.get(name), !v.isEmpty else { return nil }
        return v
    }

    func int(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let s = string(name) else { return value }
        guard let n = Int(s), range.contains(n) else {
            throw Problem.invalid(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    func int64(_ name: String) throws -> Int64? {
        guard let s = string(name) else { return nil }
        guard let n = Int64(s) else { throw Problem.invalid(name, "must be an integer") }
        return n
    }

    /// An ISO 8601 date-time: `2026-11-01T00:00:00Z`.
    func date(_ name: String) throws -> Date? {
        guard let s = string(name) else { return nil }
        guard let d = ISO8601.parse(s) else { throw Problem.invalid(name, "'\(s)' is not an ISO 8601 date-time such as 2026-11-01T00:00:00Z") }
        return d
    }

    /// One enum value: `locale=fa`.
    func one<T: RawRepresentable>(_ name: String, _: T.Type) throws -> T? where T.RawValue == String, T: CaseIterable {
        guard let s = string(name) else { return nil }
        guard let v = T(rawValue: s) else { throw Problem.invalid(name, "'\(s)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))") }
        return v
    }

    /// Comma-separated enum values: `status=open,pending`.
    func list<T: RawRepresentable>(_ name: String, _: T.Type) throws -> [T] where T.RawValue == String, T: CaseIterable {
        guard let s = string(name) else { return [] }
        return try s.split(separator: ",").map { raw in
            guard let v = T(rawValue: raw.trimmingCharacters(in: .whitespaces)) else {
                throw Problem.invalid(name, "'\(raw)' is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return v
        }
    }
}

extension Parameters {
    func id(_ name: String = "id") throws -> Int64 {
        guard let s = get(name), let n = Int64(s), n > 0 else {
            throw Problem.notFound("'\(get(name) ?? "")' is not a valid \(name)")
        }
        return n
    }
}
