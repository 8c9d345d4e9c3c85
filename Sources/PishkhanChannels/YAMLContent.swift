import Foundation
import PishkhanCore
import Yams

/// Decoding of the YAML content files read at start (channels, SLA): every way a file can be wrong comes
/// out as a field and a reason, for the loader's own error naming the file.
enum YAMLContent {
    static func decode<T: Decodable>(_ type: T.Type, _ yaml: String, fail: (_ field: String, _ reason: String) -> any Error) throws -> T {
        func field(_ path: [any CodingKey]) -> String { path.isEmpty ? "(document)" : path.fieldName }
        do {
            return try YAMLDecoder().decode(T.self, from: yaml)
        } catch let error as ValidationError {
            throw fail(error.field, error.reason)
        } catch DecodingError.typeMismatch(_, let ctx), DecodingError.valueNotFound(_, let ctx) {
            throw fail(field(ctx.codingPath), "has the wrong type")
        } catch DecodingError.keyNotFound(let key, let ctx) {
            throw fail(field(ctx.codingPath + [key]), "is required")
        } catch DecodingError.dataCorrupted(let ctx) where !ctx.codingPath.isEmpty {
            throw fail(field(ctx.codingPath), ctx.debugDescription)
        } catch {
            throw fail("(document)", "is not valid YAML: \(error)")
        }
    }
}
