/// Credit-based flow control between a producer and the workers of the stage it feeds, as in
/// the ZeroMQ guide's credit-based flow control: a worker tells each producer how far it has
/// started that producer's batches and how many items it wants waiting, and the producer sends
/// a worker only what fits. So a slow, stuck or distant worker holds at most its window, and
/// its siblings take the rest.
///
/// Grants travel back on the batches' own connection (the worker's ROUTER input to the
/// producer's DEALER): no other socket, no hop through the coordinator.
enum Credit {
    /// What a worker tells one producer.
    struct Grant: Equatable {
        /// The last batch sequence number of this connection the worker has started.
        var startedThrough: UInt64
        /// How many items the worker wants sent and not yet started, from this producer.
        var window: UInt32
    }

    /// A grant's bytes: the sequence then the window, little-endian.
    static let grantSize = 12

    /// How much work, in time, a worker asks to have waiting: enough to hide a grant's round
    /// trip on a busy machine (hundreds of microseconds), short enough that a stuck worker
    /// strands only a few items and latency stays low.
    static let queuedNanoseconds: UInt64 = 10_000_000
    /// The window before a worker has timed any item.
    static let initialWindow = 4
    /// The largest window: bounds what one worker holds whatever its speed.
    static let maximumWindow = 1 << 20

    static func encode(_ grant: Grant) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: grantSize)
        bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: grant.startedThrough.littleEndian, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: grant.window.littleEndian, toByteOffset: 8, as: UInt32.self)
        }
        return bytes
    }

    /// nil when the bytes are not a grant (a peer that is not a worker).
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Grant? {
        guard bytes.count == grantSize else { return nil }
        return Grant(
            startedThrough: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
            window: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
    }
}

/// What a producer knows of one consumer's room: the batches it sent that the consumer has not
/// started, and the window the consumer last asked for.
struct ConsumerCredit {
    private var unstarted = FIFO<(sequence: UInt64, items: Int)>()
    /// Items sent to the consumer that it has not started (as far as this producer knows).
    private(set) var unstartedItems = 0
    private(set) var window = Credit.initialWindow

    /// Whether a batch of `items` fits. One batch always fits a consumer with nothing waiting,
    /// whatever its size, so an explicit chunk size larger than the window still flows.
    @inline(__always)
    func admits(items: Int) -> Bool {
        unstartedItems == 0 || unstartedItems + items <= window
    }

    /// Items that fit before the window is full (0 or less: none).
    var room: Int { window - unstartedItems }

    mutating func sent(sequence: UInt64, items: Int) {
        unstarted.append((sequence, items))
        unstartedItems += items
    }

    /// The consumer started every batch through `sequence` (a grant said so, or it
    /// acknowledged them, which implies it started them).
    mutating func started(through sequence: UInt64) {
        while let first = unstarted.first, first.sequence <= sequence {
            unstartedItems -= first.items
            unstarted.removeFirst()
        }
    }

    mutating func apply(_ grant: Credit.Grant) {
        window = max(1, Int(grant.window))
        started(through: grant.startedThrough)
    }
}
