// A real ETL job on a real database server: an origin reads a CSV file of orders, tasks parse
// and validate each line (a bad line is skipped, and join's report says why), and destinations
// write the orders to PostgreSQL through postgres-nio, one client per worker process, in
// multi-row inserts that ignore orders already there, so that replays after a worker died
// change nothing.
//
//   orders-to-postgres [--rows 100000] [--csv PATH] [--table orders]
//
// Reads the server's address from libpq's variables (PGHOST, PGPORT, PGUSER, PGDATABASE,
// PGPASSWORD); `scripts/with-postgres swift run orders-to-postgres` starts a throwaway server
// and sets them. Without --csv it generates --rows orders into a temporary folder. Creates the
// table if it is missing and prints what it holds at the end.
import Foundation
import MPETL
import PostgresNIO

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: "--\(name)").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("orders-to-postgres: \(message)\n".utf8))
    exit(status)
}
let rows = option("rows").flatMap(Int.init) ?? 100_000
guard let table = OrderTable(option("table") ?? "orders") else {
    fail("--table takes a plain name: lowercase letters, digits and underscores")
}
let settings: ConnectionSettings
do {
    settings = try ConnectionSettings(environment: ProcessInfo.processInfo.environment)
} catch {
    fail(error.description)
}
let generated = option("csv") == nil
// The driver's own file: runs side by side never write each other's.
let csvPath = option("csv") ?? NSTemporaryDirectory() + "mpetl-orders-to-postgres-\(getpid()).csv"

if !Pipeline.isWorkerProcess {
    do {
        try await PostgresConnection.with(settings) { connection in try await table.create(on: connection) }
    } catch {
        fail("\(DatabaseFailure("creating table \(table.name) on \(settings.serverDescription)", error))", status: 1)
    }
    if generated { try SampleData.write(rows: rows, to: csvPath) }
}

let orders = Pipeline()
// Extract: one process reads the file line by line.
try orders.addOrigin(chunkSize: 1) { (path: String, emit: Emitter<RawLine>) in
    let text = try String(contentsOfFile: path, encoding: .utf8)
    // By newline Characters, which include "\r\n": a file from Windows reads the same.
    for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated()
    where !line.isEmpty {
        if index == 0 && line.hasPrefix("order_id") { continue }
        emit(RawLine(number: index + 1, text: String(line)))
    }
}
// Transform: parse and validate on every core. A bad line throws, and `.skip` drops it and
// lists it in join's report, instead of failing the whole job.
try orders.addTask(processes: .perCore, onError: .skip) { (line: RawLine) throws -> Order in
    try Order(parsing: line)
}
// Load: two writers, each with its own client, with up to 8 orders in flight each, so that
// orders keep arriving while an insert is on its way.
try orders.addDestination(
    processes: 2, concurrency: 8,
    setup: { () async throws -> OrderWriter in try await OrderWriter.open(settings, table: table) },
    teardown: { (writer: OrderWriter) async throws in try await writer.close() }
) { (order: Order, writer: OrderWriter) async throws in
    try await writer.add(order)
}

let report: JoinReport
do {
    // The async driver calls: this program runs as async top-level code.
    try await orders.async.start()  // in a worker this never returns
    try await orders.async.feed(csvPath)
    report = try await orders.async.join()
    if generated { try? FileManager.default.removeItem(atPath: csvPath) }
} catch {
    if generated { try? FileManager.default.removeItem(atPath: csvPath) }
    fail("\(error)", status: 1)
}

let summary: OrderTable.Summary
do {
    summary = try await PostgresConnection.with(settings) { connection in try await table.summary(on: connection) }
} catch {
    fail("\(DatabaseFailure("reading table \(table.name)", error))", status: 1)
}
// The first few on standard error, so that a file of your own says what is wrong with it.
for skipped in report.skipped.prefix(5) {
    FileHandle.standardError.write(Data("orders-to-postgres: skipped \(skipped.error)\n".utf8))
}
print("orders \(summary.orders)")
print("rejected \(report.skippedCount)")
print("amount_cents \(summary.amountCents)")
print("customers \(summary.customers)")
