import ZeroMQ

/// Endpoints written as literals in tests; a malformed literal is a broken test, so it traps.
/// (Production code parses with `Endpoint(parsing:)` and reports what is wrong.)
extension Endpoint: ExpressibleByStringInterpolation {
    public init(stringLiteral text: String) {
        do {
            try self.init(parsing: text)
        } catch {
            fatalError("a test's endpoint literal is malformed: \(error)")
        }
    }
}
