/// Thrown by `EmailDecoder` only when nothing usable can be produced.
public enum EmailDecodingError: Error, Sendable, Hashable {
    /// The input was empty or only whitespace.
    case emptyInput
    /// The input does not start with a header block.
    case noHeaders
}
