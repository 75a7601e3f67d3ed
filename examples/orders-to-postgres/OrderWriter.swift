import MPETL
import PostgresNIO

/// One writer per worker process: its own `PostgresClient`, opened in the stage's setup and
/// closed in its teardown, with orders gathered into multi-row inserts of up to `batchSize`.
///
/// As an `AsyncCommitting` state it writes what it holds before the worker acknowledges the
/// batches the orders came from, so a worker that dies loses no acknowledged order; what it
/// held unwritten is replayed to another worker, and the insert's `ON CONFLICT DO NOTHING`
/// absorbs the orders that had been written already.
actor OrderWriter: AsyncCommitting {
    static let batchSize = 500
    private let client: PostgresClient
    private let running: Task<Void, Never>
    private let table: OrderTable
    private var pending: [Order] = []
    /// The newest insert; each waits for the one before, so waiting for this one waits for all.
    /// A failed insert fails every later one, so a lost row can never be committed past.
    private var lastWrite: Task<Void, any Error>?

    private init(_ settings: ConnectionSettings, table: OrderTable) {
        let client = PostgresClient(configuration: settings.clientConfiguration)
        self.client = client
        self.table = table
        running = Task { await client.run() }
    }

    static func open(_ settings: ConnectionSettings, table: OrderTable) async throws -> OrderWriter {
        let writer = OrderWriter(settings, table: table)
        do {
            // An unreachable server fails the stage's setup, before any order is taken.
            try await writer.client.query("SELECT 1")
        } catch {
            writer.running.cancel()
            throw DatabaseFailure("connecting to \(settings.serverDescription)", error)
        }
        return writer
    }

    func add(_ order: Order) async throws {
        pending.append(order)
        // Waiting for the insert holds this item in flight, which slows the stage's intake to
        // the database's pace instead of queueing inserts without bound.
        if pending.count >= Self.batchSize { try await flush() }
    }

    func commit() async throws {
        try await flush()
    }

    func close() async throws {
        defer { running.cancel() }
        try await flush()
    }

    /// Starts an insert of what is pending (the actor takes more orders while it runs) and
    /// waits until every insert started so far is done.
    private func flush() async throws {
        if !pending.isEmpty {
            let orders = pending
            pending.removeAll(keepingCapacity: true)
            let previous = lastWrite
            let client = client
            let table = table
            lastWrite = Task {
                try await previous?.value
                try await table.insert(orders, with: client)
            }
        }
        try await lastWrite?.value
    }
}
