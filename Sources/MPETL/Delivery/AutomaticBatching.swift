/// Batches sized by the load, for stages whose `chunkSize` is left out.
///
/// A batch leaves as soon as the consumer that would take it could use it, and grows only while
/// the producer runs ahead of its consumers:
///
/// - it never holds more items than the roomiest consumer's credit window (see ``Credit``), so a
///   slow or stuck worker is never handed more than its window, and no more than
///   ``maximumItems`` items or ``maximumBytes`` bytes;
/// - it leaves when the producer pauses: the driver's `feed` returns with a consumer idle, or a
///   worker runs out of input;
/// - it never waits longer than ``lingerNanoseconds`` for more items.
///
/// So an idle stage gets items one by one, at once, and a busy one gets them in batches that
/// amortise each message's cost, without a knob to tune.
enum AutomaticBatching {
    /// The chunk size that means "sized by the load" where a number is expected (the wire, the
    /// batch sender).
    static let automatic = 0
    /// The largest batch: beyond a few hundred small items a message's fixed cost is paid off,
    /// and bigger batches only delay the first item and coarsen the sharing.
    static let maximumItems = 256
    /// Or this many bytes of items: a batch of large items leaves once it is this big.
    static let maximumBytes = 64 << 10
    /// The longest an item waits in a partial batch for more items to join it.
    static let lingerNanoseconds: UInt64 = 1_000_000

    /// The largest batch under `maxSize` spread over `queues` connections, so that batches the
    /// load sizes stay within it: every queue may hold a couple of them.
    static func largestBatch(maxSize: Int, queues: Int) -> Int {
        max(1, min(maximumItems, maxSize / max(1, queues) / 2))
    }
}
