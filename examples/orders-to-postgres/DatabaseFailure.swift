import PostgresNIO

/// A database error that says what the server said. PSQLError's description leaves that out (so
/// that no data reaches a log by accident) and its reflection prints the whole statement, which
/// for a batch of orders is 2,500 parameters.
struct DatabaseFailure: Error, CustomStringConvertible {
    var doing: String
    var cause: String

    init(_ doing: String, _ error: any Error) {
        self.doing = doing
        guard let error = error as? PSQLError else {
            cause = "\(error)"
            return
        }
        if let info = error.serverInfo, let message = info[.message] {
            cause = "\(info[.severity] ?? "ERROR") \(info[.sqlState] ?? "?"): \(message)"
            if let detail = info[.detail] { cause += " (\(detail))" }
        } else {
            cause = "\(error.code)" + (error.underlying.map { ": \($0)" } ?? "")
        }
    }

    var description: String { "\(doing): \(cause)" }
}
