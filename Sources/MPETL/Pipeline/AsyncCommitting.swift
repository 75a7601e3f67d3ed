/// A stage's per-process state that holds work back and makes it durable asynchronously: the
/// twin of ``Committing`` for state built on async clients (postgres-nio, AsyncHTTPClient).
///
/// The worker calls ``commit()`` before it acknowledges the batches whose items finished since
/// the last call (every 10 ms or so while busy, and when it runs out of input). Every item that
/// finished before the call has returned from its body, so what it gave the state is committed;
/// items still in flight may add to the state meanwhile, which is why the state must be
/// `Sendable` (an actor, typically). The worker's own thread waits for the commit, so keep it to
/// one round trip. If `commit()` throws, the stage fails as if its body had thrown.
///
/// ```swift
/// actor OrderWriter: AsyncCommitting {
///     let client: PostgresClient
///     private var pending: [Order] = []
///     init(client: PostgresClient) { self.client = client }
///     func add(_ order: Order) { pending.append(order) }
///     func commit() async throws {
///         guard !pending.isEmpty else { return }
///         try await client.insert(pending)  // one multi-row INSERT … ON CONFLICT DO NOTHING
///         pending.removeAll()
///     }
/// }
/// try pipeline.addDestination(concurrency: 8, setup: { try await OrderWriter.open() }) {
///     (order: Order, writer: OrderWriter) async in await writer.add(order)
/// }
/// ```
public protocol AsyncCommitting: Sendable {
    /// Makes durable everything the stage was given so far.
    /// - Throws: whatever the state's storage throws; the stage then fails.
    func commit() async throws
}
