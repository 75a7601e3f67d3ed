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
    }

    private(set) var producers: [UInt32: Producer] = [:]
    /// Smoothed nanoseconds per item; 0 until the first batch is timed.
    private var itemNanoseconds = 0.0
    /// The window each producer is granted, in items.
    private(set) var window = Credit.initialWindow
    /// Producers that sent within ``activeNanoseconds``: they share the window.
    private var activeProducers = 1
    static let activeNanoseconds: UInt64 = 1_000_000_000

    /// Records that the worker starts batch `sequence` of `items` items from `producer`, which
    /// reached it through `connection`, at `now`. True when that producer should be granted
    /// now: it has used half its window since its last grant.
    mutating func started(producer: UInt32, connection: UnsafeRawBufferPointer, sequence: UInt64, items: Int,
                          at now: UInt64) -> Bool {
        if producers[producer] == nil {
            producers[producer] = Producer(connection: Array(connection))
        } else if !producers[producer]!.connection.elementsEqual(connection) {
            // The producer reconnected: grants go to its new connection.
            producers[producer]!.connection = Array(connection)
        }
        producers[producer]!.startedThrough = max(producers[producer]!.startedThrough, sequence)
        producers[producer]!.itemsSinceGrant += items
        producers[producer]!.lastStarted = now
        return producers[producer]!.itemsSinceGrant * 2 >= window
    }

    /// Times a processed batch of `items` that took `nanoseconds`, ending at `now`, to size the
    /// window.
    mutating func timed(items: Int, nanoseconds: UInt64, at now: UInt64) {
        guard items > 0 else { return }
        let perItem = max(1, Double(nanoseconds) / Double(items))
        itemNanoseconds = itemNanoseconds == 0 ? perItem : itemNanoseconds * 0.75 + perItem * 0.25
        activeProducers = max(1, producers.values.count { now &- $0.lastStarted < Self.activeNanoseconds })
        let share = Double(Credit.queuedNanoseconds) / itemNanoseconds / Double(activeProducers)
        window = Int(min(Double(Credit.maximumWindow), max(1, share.rounded(.up))))
    }

    /// The grant `producer` is owed, marking it given.
    mutating func grant(_ producer: UInt32) -> (connection: [UInt8], grant: Credit.Grant)? {
        guard var entry = producers[producer] else { return nil }
        entry.grantedThrough = entry.startedThrough
        entry.itemsSinceGrant = 0
        producers[producer] = entry
        return (entry.connection, Credit.Grant(startedThrough: entry.startedThrough, window: UInt32(window)))
    }

    /// Producers started from since their last grant.
    var owed: [UInt32] {
        producers.compactMap { $0.value.startedThrough > $0.value.grantedThrough ? $0.key : nil }
    }
}
