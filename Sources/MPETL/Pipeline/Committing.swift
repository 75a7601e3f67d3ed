/// A stage's per-process state that holds work back — buffered rows, an open transaction — and
/// must make it durable before the stage's batches count as done.
///
/// A worker acknowledges a batch once the stage body has returned for its items; its producer
/// then forgets the batch, so if the worker died later, work the state still held back would be
/// lost. When the state returned by `setup` conforms to `Committing`, the worker calls
/// ``commit()`` before it acknowledges the batches processed since the last call (every 10 ms
/// or so while busy, and when it runs out of input), on the worker's own thread and never in
/// the middle of a body call. If `commit()` throws, the stage fails as if its body had thrown.
///
/// ```swift
/// final class OrderWriter: Committing {
///     private var pending: [Order] = []
///     func add(_ order: Order) { pending.append(order) }
///     func commit() throws {
///         try database.write { db in for order in pending { try order.insert(db) } }
///         pending.removeAll()
///     }
/// }
/// try pipeline.addDestination(setup: { OrderWriter() }) { (order: Order, writer: OrderWriter) in
///     writer.add(order)
/// }
/// ```
public protocol Committing: AnyObject {
    /// Makes durable everything the stage was given so far.
    func commit() throws
}
