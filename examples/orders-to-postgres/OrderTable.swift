import PostgresNIO

/// The orders table: its name, its creation, the multi-row insert the writers use, and the
/// summary the driver prints.
struct OrderTable: Sendable {
    /// Checked to be a plain identifier, since SQL cannot take a table's name as a parameter.
    let name: String
    static let logger = Logger(label: "orders-to-postgres")

    init?(_ name: String) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_")
        guard let first = name.first, first.isLetter || first == "_", name.count <= 63,
            name.allSatisfy({ allowed.contains($0) })
        else { return nil }
        self.name = name
    }

    func create(on connection: PostgresConnection) async throws {
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    CREATE TABLE IF NOT EXISTS \(name) (
                        order_id bigint PRIMARY KEY,
                        customer text NOT NULL,
                        country text NOT NULL,
                        amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
                        ordered_on date NOT NULL
                    )
                    """), logger: Self.logger)
    }

    /// Inserts `orders` in one statement. An order already there (a batch replayed after a
    /// worker died, or a second run) is left as it is, so running a batch twice changes nothing.
    func insert(_ orders: [Order], with client: PostgresClient) async throws {
        guard !orders.isEmpty else { return }
        var sql = "INSERT INTO \(name) (order_id, customer, country, amount_cents, ordered_on) VALUES "
        sql.reserveCapacity(sql.count + orders.count * 40)
        var binds = PostgresBindings(capacity: orders.count * 5)
        // In key order: two writers inserting overlapping rows (a replay beside the original)
        // then take the rows' locks in the same order and cannot deadlock.
        for (index, order) in orders.sorted(by: { $0.id < $1.id }).enumerated() {
            let first = index * 5
            sql += index == 0 ? "(" : ", ("
            sql += "$\(first + 1), $\(first + 2), $\(first + 3), $\(first + 4), $\(first + 5)::date)"
            binds.append(order.id)
            binds.append(order.customer)
            binds.append(order.country)
            binds.append(order.amountCents)
            binds.append(order.orderedOn)
        }
        sql += " ON CONFLICT (order_id) DO NOTHING"
        do {
            try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds))
        } catch {
            throw DatabaseFailure("inserting \(orders.count) orders into \(name)", error)
        }
    }

    struct Summary {
        var orders: Int
        var amountCents: Int
        var customers: Int
    }

    func summary(on connection: PostgresConnection) async throws -> Summary {
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT count(*), coalesce(sum(amount_cents), 0)::bigint, count(DISTINCT customer) FROM \(name)"
            ), logger: Self.logger)
        for try await (orders, amount, customers) in rows.decode((Int, Int, Int).self) {
            return Summary(orders: orders, amountCents: amount, customers: customers)
        }
        return Summary(orders: 0, amountCents: 0, customers: 0)
    }
}

extension PostgresConnection {
    /// Runs `body` on a connection of its own, closed after: for the driver's few queries.
    static func with<Result: Sendable>(
        _ settings: ConnectionSettings, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await PostgresConnection.connect(
            configuration: settings.connectionConfiguration(), id: 1, logger: OrderTable.logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
