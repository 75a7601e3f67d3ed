// A real ETL job on a real database: an origin reads a CSV file of orders, tasks parse and
// validate each line (bad lines go, with the reason, to a rejects file through a named
// pipeline), and destinations write the orders to SQLite, one connection per worker process,
// in transactions of 1,000 rows.
//
//   csv-to-sqlite [--rows 100000] [--folder PATH]
//
// Writes PATH/orders.csv (generated), PATH/orders.sqlite and PATH/rejects.csv (PATH defaults
// to a folder in the temporary directory), then prints what the database holds.
import Foundation
import GRDB
import MPETL

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: "--\(name)").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let rows = option("rows").flatMap(Int.init) ?? 100_000
let folder = option("folder") ?? NSTemporaryDirectory() + "mpetl-csv-to-sqlite"
if !Pipeline.isWorkerProcess {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
}
let csvPath = folder + "/orders.csv"
let databasePath = folder + "/orders.sqlite"
let rejectsPath = folder + "/rejects.csv"

if !Pipeline.isWorkerProcess {
    try? FileManager.default.removeItem(atPath: databasePath)
    try? FileManager.default.removeItem(atPath: rejectsPath)
    try SampleData.write(rows: rows, to: csvPath)
    try OrderWriter.createDatabase(at: databasePath)
}

let orders = Pipeline()
// Extract: one process reads the file line by line.
try orders.addOrigin(chunkSize: 1) { (path: String, emit: Emitter<RawLine>) in
    let text = try String(contentsOfFile: path, encoding: .utf8)
    for (index, line) in text.split(separator: "\n").enumerated() where index > 0 {
        emit(RawLine(number: index + 1, text: String(line)))
    }
}
// Transform: parse and validate on every core; rejects go to their own pipeline.
try orders.addTask(processes: .perCore, chunkSize: 500) { (line: RawLine) -> Order? in
    do throws(Rejection) {
        return try Order(parsing: line)
    } catch {
        try Pipeline.send("rejects", error)
        return nil
    }
}
// Load: two writers, each with its own connection, in transactions of 1,000 rows.
try orders.addDestination(
    processes: 2, chunkSize: 500,
    setup: { try OrderWriter(path: databasePath) },
    teardown: { writer in try writer.close() }
) { (order: Order, writer: OrderWriter) in
    try writer.add(order)
}

let rejects = Pipeline(name: "rejects")
try rejects.addDestination(
    setup: { () throws -> FileHandle in
        _ = FileManager.default.createFile(atPath: rejectsPath, contents: Data("line,reason,text\n".utf8))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: rejectsPath))
        try handle.seekToEnd()
        return handle
    }, teardown: { handle in try handle.close() }
) { (rejection: Rejection, file: FileHandle) in
    func quoted(_ field: String) -> String { "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
    try file.write(contentsOf: Data("\(rejection.line),\(quoted(rejection.reason)),\(quoted(rejection.text))\n".utf8))
}

try orders.start()
try rejects.start()
try orders.feed(csvPath)
try orders.join()  // the sender first,
try rejects.join()  // then the pipeline it sends to

let database = try DatabaseQueue(path: databasePath)
let (count, total, customers) = try database.read { database in
    (
        try Order.fetchCount(database),
        try Int.fetchOne(database, sql: "SELECT SUM(amountCents) FROM orders") ?? 0,
        try Int.fetchOne(database, sql: "SELECT COUNT(DISTINCT customer) FROM orders") ?? 0
    )
}
let rejected = try String(contentsOfFile: rejectsPath, encoding: .utf8).split(separator: "\n").count - 1
print("orders \(count)")
print("rejected \(rejected)")
print("amount_cents \(total)")
print("customers \(customers)")
