/// A worker's side of credit-based flow control (see ``Credit``): what it has started from
/// each producer's connection, the grants it owes them, and the window it asks for.
///
/// The window is time, turned into items: ``Credit/queuedNanoseconds`` of work at the worker's
/// own smoothed time per item, shared among the producers that sent in the last second. A
/// worker 4× slower per item asks for 4× fewer items, so each holds about the same time of work.
struct DemandLedger {
    struct Producer {
        /// The ROUTER's name for the producer's connection: where its grants go.
        var connection: [UInt8]
        var startedThrough: UInt64 = 0
        var grantedThrough: UInt64 = 0
        var itemsSinceGrant = 0
        /// When the worker last started one of its batches, in nanoseconds of the worker's clock.
        var lastStarted: UInt64 = 0
        /// When it was last granted credit, likewise.
        var lastGranted: UInt64 = 0
    }

    /// The longest an idle worker keeps a grant back. A worker that runs dry after every batch
    /// (it is faster than its producer) would otherwise answer each batch with a grant, doubling
    /// the messages; a producer with room does not need them, and one without waits at most this.
    static let grantDelayNanoseconds: UInt64 = 1_000_000

    private(set) var producers: [UInt32: Producer] = [:]
    /// Smoothed nanoseconds per item; 0 until the first batch is timed.
    private var itemNanoseconds = 0.0
    /// Whether items take long enough (or are not timed yet) that reading the clock per item
    /// costs nothing to speak of: at least ``slowItemNanoseconds``.
    var itemsAreSlow: Bool { itemNanoseconds == 0 || itemNanoseconds >= Self.slowItemNanoseconds }
    static let slowItemNanoseconds = 10_000.0
    /// Whether items take a millisecond or more (or are not timed yet): then describing each,
    /// for progress and errors, costs under a thousandth.
    var itemsTakeMilliseconds: Bool { itemNanoseconds == 0 || itemNanoseconds >= 1_000_000 }
    /// The window each producer is granted, in items.
    private(set) var window = Credit.initialWindow
    /// The smallest window: a stage running `concurrency` items at once asks for at least that
    /// many, so a slot that frees finds an item waiting.
    var minimumWindow = 1 {
        didSet { window = max(window, minimumWindow) }
    }
    /// Producers that sent within ``activeNanoseconds``: they share the window.
    private var activeProducers = 1
    /// Items and time processed since the window was last sized, and when that was.
    private var timedItems = 0
    private var timedNanoseconds: UInt64 = 0
    private var lastResized: UInt64 = 0
    /// How often the window follows the measured time per item.
    static let resizeNanoseconds: UInt64 = 2_000_000
    static let activeNanoseconds: UInt64 = 1_000_000_000

    /// Records that the worker starts batch `sequence` of `items` items from `producer`, which
    /// reached it through `connection`, at `now`. True when that producer should be granted
    /// now: it has used half its window since its last grant.
    mutating func started(
        producer: UInt32, connection: UnsafeRawBufferPointer, sequence: UInt64, items: Int,
        at now: UInt64
    ) -> Bool {
        // One hash lookup per batch: the entry is changed in place.
        let window = window
        return Self.start(
            &producers[producer, default: Producer(connection: [])], connection: connection,
            sequence: sequence, items: items, at: now, window: window)
    }

    private static func start(
        _ entry: inout Producer, connection: UnsafeRawBufferPointer, sequence: UInt64, items: Int,
        at now: UInt64, window: Int
    ) -> Bool {
        if !entry.connection.elementsEqual(connection) {
            // A new producer, or one that reconnected: grants go to this connection.
            entry.connection = Array(connection)
        }
        entry.startedThrough = max(entry.startedThrough, sequence)
        entry.itemsSinceGrant += items
        entry.lastStarted = now
        return entry.itemsSinceGrant * 2 >= window
    }

    /// Times a processed batch of `items` that took `nanoseconds`, ending at `now`. The window
    /// follows every ``resizeNanoseconds``: per batch, this is two additions.
    @inline(__always)
    mutating func timed(items: Int, nanoseconds: UInt64, at now: UInt64) {
        timedItems &+= items
        timedNanoseconds &+= nanoseconds
        if now &- lastResized >= Self.resizeNanoseconds || itemNanoseconds == 0 { resize(at: now) }
    }

    private mutating func resize(at now: UInt64) {
        guard timedItems > 0 else { return }
        let perItem = max(1, Double(timedNanoseconds) / Double(timedItems))
        itemNanoseconds = itemNanoseconds == 0 ? perItem : itemNanoseconds * 0.5 + perItem * 0.5
        (timedItems, timedNanoseconds, lastResized) = (0, 0, now)
        activeProducers = max(1, producers.values.count { now &- $0.lastStarted < Self.activeNanoseconds })
        let share = Double(Credit.queuedNanoseconds) / itemNanoseconds / Double(activeProducers)
        window = Int(min(Double(Credit.maximumWindow), max(Double(minimumWindow), share.rounded(.up))))
    }

    /// The grant `producer` is owed, marking it given at `now`.
    mutating func grant(_ producer: UInt32, at now: UInt64) -> (connection: [UInt8], grant: Credit.Grant)? {
        guard var entry = producers[producer] else { return nil }
        entry.grantedThrough = entry.startedThrough
        entry.itemsSinceGrant = 0
        entry.lastGranted = now
        producers[producer] = entry
        return (entry.connection, Credit.Grant(startedThrough: entry.startedThrough, window: UInt32(window)))
    }

    /// Calls `body` with each producer owed a grant, for a worker about to wait for input at
    /// `now`: those that used a quarter of their window since their last grant (they may be
    /// running out), and those whose grant was held back for ``grantDelayNanoseconds``. Returns
    /// when the next held-back grant falls due, if one still is. (No arrays: a worker faster
    /// than its producer runs dry after every batch.)
    func forEachDue(at now: UInt64, _ body: (UInt32) throws -> Void) rethrows -> UInt64? {
        var next: UInt64?
        for (producer, entry) in producers where entry.startedThrough > entry.grantedThrough {
            let due = entry.lastGranted &+ Self.grantDelayNanoseconds
            if entry.itemsSinceGrant * 4 >= window || now >= due {
                try body(producer)
            } else {
                next = min(next ?? due, due)
            }
        }
        return next
    }

    /// Every producer started from since its last grant.
    var owed: [UInt32] {
        producers.compactMap { $0.value.startedThrough > $0.value.grantedThrough ? $0.key : nil }
    }
}
