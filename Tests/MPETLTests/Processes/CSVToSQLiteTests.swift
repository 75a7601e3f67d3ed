import Foundation
import GRDB
import Testing

/// The csv-to-sqlite example end to end, checked in the database itself.
@Suite("csv-to-sqlite example", .serialized)
struct CSVToSQLiteTests {
    @Test func everyValidRowIsInTheDatabaseAndEveryBadOneInTheRejectsFile() throws {
        let folder = NSTemporaryDirectory() + "mpetl-csv-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let rows = 100_000
        let run = try Programs.run("csv-to-sqlite", ["--rows", "\(rows)", "--folder", folder], timeout: .seconds(120))
        #expect(run.status == 0, "stderr: \(run.standardError)")

        // What the generator put in: every 97th order is broken.
        let valid = (1...rows).filter { $0 % 97 != 0 }
        let database = try DatabaseQueue(path: folder + "/orders.sqlite")
        func number(_ sql: String) throws -> Int? { try database.read { try Int.fetchOne($0, sql: sql) } }
        #expect(try number("SELECT COUNT(*) FROM orders") == valid.count)
        #expect(try number("SELECT SUM(amountCents) FROM orders") == valid.reduce(0) { $0 + $1 % 10_000 })
        #expect(try number("SELECT COUNT(DISTINCT customer) FROM orders") == 1_000)
        #expect(try number("SELECT COUNT(*) FROM orders WHERE id % 97 = 0") == 0)
        #expect(try number("SELECT MAX(id) FROM orders") == rows)
        let rejects = try String(contentsOfFile: folder + "/rejects.csv", encoding: .utf8).split(separator: "\n")
            .dropFirst()
        #expect(rejects.count == rows / 97)
        for reason in ["is not an address", "is negative", "expected 5 fields, found 6", "is not a number of cents"] {
            #expect(rejects.contains { $0.contains(reason) }, "a rejected line says \(reason)")
        }
        #expect(
            run.lines == [
                "orders \(valid.count)", "rejected \(rows / 97)",
                "amount_cents \(valid.reduce(0) { $0 + $1 % 10_000 })", "customers 1000",
            ])
    }
}
