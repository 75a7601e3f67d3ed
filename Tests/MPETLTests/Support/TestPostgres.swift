import Foundation
import Testing

/// The PostgreSQL server that tests of the orders-to-postgres example write to: the one libpq's
/// variables (PGHOST, PGPORT, PGUSER, PGDATABASE) name, which `scripts/with-postgres` starts
/// and sets, as `scripts/test` does for the whole suite.
enum TestPostgres {
    static var host: String? { ProcessInfo.processInfo.environment["PGHOST"].flatMap { $0.isEmpty ? nil : $0 } }

    /// In CI a missing server is a failure, so that a broken setup cannot pass as skipped tests.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static var shouldRun: Bool { host != nil || isRequired }

    static let skipReason = Comment(
        rawValue: "PGHOST is not set, so there is no PostgreSQL server: run through scripts/test or "
            + "scripts/with-postgres (e.g. scripts/with-postgres swift test --filter OrdersToPostgres)")

    struct NoServer: Error, CustomStringConvertible {
        var description: String {
            "PGHOST is not set, so there is no PostgreSQL server to test against: run the tests through "
                + "scripts/test, which runs them under scripts/with-postgres"
        }
    }

    /// Fails the test (in CI, where the suite runs even without a server) unless there is one.
    static func requireServer() throws {
        guard host != nil else { throw NoServer() }
    }

    /// A table name of this test process's own, dropped first in case an earlier run left it.
    static func freshTable(_ name: String) throws -> String {
        let table = "orders_test_\(getpid())_\(name)"
        _ = try query("DROP TABLE IF EXISTS \(table)")
        return table
    }

    /// What `psql -At -c sql` prints, without the final newline; throws if psql fails.
    static func query(_ sql: String) throws -> String {
        let run = try Programs.run(
            "/usr/bin/env", ["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], timeout: .seconds(30))
        guard run.status == 0 else { throw PsqlFailed(sql: sql, message: run.standardError) }
        return run.standardOutput.trimmingCharacters(in: .newlines)
    }

    /// The rows in `table`, or nil while it does not exist.
    static func count(_ table: String) -> Int? {
        (try? query("SELECT count(*) FROM \(table)")).flatMap { Int($0) }
    }

    struct PsqlFailed: Error, CustomStringConvertible {
        var sql: String
        var message: String
        var description: String { "psql failed on \(sql): \(message)" }
    }
}
