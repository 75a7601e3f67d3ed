import Foundation
import GRDB
import MPETL

/// One line of the CSV, as read.
struct RawLine: Codable, Sendable {
    var number: Int
    var text: String
}

/// A valid order, as written to the database.
struct Order: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "orders"
    var id: Int
    var customer: String
    var email: String
    var amountCents: Int
    var day: String

    /// Parses and validates one CSV line; the error says what is wrong with it.
    init(parsing line: RawLine) throws(Rejection) {
        let fields = line.text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 5 else { throw Rejection(line, "expected 5 fields, found \(fields.count)") }
        guard let id = Int(fields[0]) else { throw Rejection(line, "id \"\(fields[0])\" is not a number") }
        guard fields[2].contains("@"), fields[2].split(separator: "@").count == 2 else {
            throw Rejection(line, "email \"\(fields[2])\" is not an address")
        }
        guard let amount = Int(fields[3]) else {
            throw Rejection(line, "amount \"\(fields[3])\" is not a number of cents")
        }
        guard amount >= 0 else { throw Rejection(line, "amount \(amount) is negative") }
        self.id = id
        customer = fields[1]
        email = fields[2]
        amountCents = amount
        day = fields[4]
    }

    static func createTable(in database: Database) throws {
        try database.create(table: databaseTableName, ifNotExists: true) { table in
            table.primaryKey("id", .integer)
            table.column("customer", .text).notNull()
            table.column("email", .text).notNull()
            table.column("amountCents", .integer).notNull()
            table.column("day", .text).notNull()
        }
    }
}

/// A line that is not a valid order, and why.
struct Rejection: Error, Codable, Sendable {
    var line: Int
    var text: String
    var reason: String

    init(_ line: RawLine, _ reason: String) {
        self.line = line.number
        text = line.text
        self.reason = reason
    }
}

/// One database connection per worker process, with rows written in transactions of up to
/// `batchSize`: opened in the stage's setup, closed in its teardown. As a `Committing` state it
/// also writes what it holds before the worker acknowledges the batches it came from, so a
/// worker that dies loses no acknowledged row.
final class OrderWriter: Committing, @unchecked Sendable {  // used by one worker thread only
    static let batchSize = 1_000
    private let queue: DatabaseQueue
    private var pending: [Order] = []
    private(set) var written = 0

    /// Creates the database, in WAL mode so that writer processes can share it, with its table:
    /// once, before they start. (Writers that each switched the journal mode as they opened
    /// the file could fail with "database is locked": the switch does not wait for the others.)
    static func createDatabase(at path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { database in
            try database.execute(sql: "PRAGMA journal_mode = WAL")
            try Order.createTable(in: database)
        }
        try queue.close()
    }

    init(path: String) throws {
        var configuration = Configuration()
        // Several worker processes write the same file: wait for each other's transactions.
        configuration.busyMode = .timeout(30)
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    func add(_ order: Order) throws {
        pending.append(order)
        if pending.count >= Self.batchSize { try flush() }
    }

    func flush() throws {
        guard !pending.isEmpty else { return }
        let orders = pending
        try queue.write { database in
            // A replayed batch (after a worker died) may bring an order twice: its primary key
            // keeps the first.
            for order in orders { try order.insert(database, onConflict: .ignore) }
        }
        written += orders.count
        pending.removeAll(keepingCapacity: true)
    }

    func commit() throws {
        try flush()
    }

    func close() throws {
        try flush()
        try queue.close()
    }
}
