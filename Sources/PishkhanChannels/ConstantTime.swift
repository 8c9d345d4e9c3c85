/// Comparison of secrets (signatures, tokens) without stopping at the first difference, so the time taken
/// does not tell an attacker how much of a forgery was right. Lengths are not secret.
public enum ConstantTime {
    public static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
