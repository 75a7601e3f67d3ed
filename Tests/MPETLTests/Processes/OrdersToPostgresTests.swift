import Foundation
import Testing

/// The orders-to-postgres example end to end, checked in the database itself: every valid order
/// once, with its amount, also when a writer's worker is killed in the middle of the run.
@Suite("orders-to-postgres example", .serialized, .enabled(if: TestPostgres.shouldRun, TestPostgres.skipReason))
struct OrdersToPostgresTests {
    /// What the example's generator puts in, recomputed here: every 97th order is broken.
    struct Expected {
        var rows: Int
        var valid: [Int] { (1...rows).filter { $0 % 97 != 0 } }
        var amountCents: Int { valid.reduce(0) { $0 + $1 * 7_919 % 100_000 } }
        /// The table's count, sum of amounts and distinct ids, as psql prints them.
        var contents: String { "\(valid.count)|\(amountCents)|\(valid.count)" }
        var output: [String] {
            ["orders \(valid.count)", "rejected \(rows / 97)", "amount_cents \(amountCents)", "customers 1000"]
        }
    }

    static func contents(of table: String) throws -> String {
        try TestPostgres.query("SELECT count(*), sum(amount_cents), count(DISTINCT order_id) FROM \(table)")
    }

    @Test func everyValidOrderIsInTheTableOnceAndASecondRunChangesNothing() throws {
        try TestPostgres.requireServer()
        let table = try TestPostgres.freshTable("plain")
        defer { _ = try? TestPostgres.query("DROP TABLE IF EXISTS \(table)") }
        let expected = Expected(rows: 20_000)
        for attempt in 1...2 {
            let run = try Programs.run(
                "orders-to-postgres", ["--rows", "\(expected.rows)", "--table", table], timeout: .seconds(120))
            #expect(run.status == 0, "run \(attempt): stderr: \(run.standardError.suffix(3000))")
            #expect(try Self.contents(of: table) == expected.contents, "run \(attempt)")
            #expect(try TestPostgres.query("SELECT count(*) FROM \(table) WHERE order_id % 97 = 0") == "0")
            #expect(run.lines == expected.output, "run \(attempt)")
        }
    }

    @Test func killingAWriterMidRunLosesAndDuplicatesNothing() throws {
        try TestPostgres.requireServer()
        let table = try TestPostgres.freshTable("killed")
        defer { _ = try? TestPostgres.query("DROP TABLE IF EXISTS \(table)") }
        let expected = Expected(rows: 100_000)
        let driver = try Programs.launch("orders-to-postgres", ["--rows", "\(expected.rows)", "--table", table])
        defer { driver.killAndClean() }

        // Once orders are in the table, the writers are running and hold some unwritten.
        let deadline = ContinuousClock.now + .seconds(90)
        while (TestPostgres.count(table) ?? 0) == 0 && ContinuousClock.now < deadline
            && !driver.waitForExit(within: .milliseconds(100))
        {}
        try #require((TestPostgres.count(table) ?? 0) > 0, "no order reached the table: \(driver.errorSoFar)")
        // Stage 2, after the origin and the validating task.
        let writers = KilledWorkerTests.workers(of: driver.pid)[2] ?? []
        let victim = try #require(writers.first, "no writer to kill: \(driver.errorSoFar)")
        kill(victim, SIGKILL)
        let writtenAtTheKill = TestPostgres.count(table) ?? 0
        #expect(!driver.waitForExit(within: .zero), "the run was still going after the kill")

        let run = try driver.finish(within: .seconds(180))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(3000))")
        #expect(
            run.standardError.contains("(pid \(victim) on"), "the loss is logged: \(run.standardError.suffix(3000))")
        #expect(
            writtenAtTheKill < expected.valid.count,
            "killed with \(writtenAtTheKill) of \(expected.valid.count) orders written")
        #expect(try Self.contents(of: table) == expected.contents)
        #expect(run.lines == expected.output)
    }
}
