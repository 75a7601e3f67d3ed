import ZeroMQ

/// What a producer waits on when no consumer can take a batch now: consumers with credit whose
/// queue is full (to become writable), and consumers without credit (to send a grant).
struct RoomWait {
    var writable: [Socket] = []
    var readable: [Socket] = []
    var isEmpty: Bool { writable.isEmpty && readable.isEmpty }
}

extension Poller {
    /// A poller on what `wait` names.
    convenience init(waitingOn wait: RoomWait) {
        self.init()
        for socket in wait.writable { add(socket, events: .writable) }
        for socket in wait.readable { add(socket, events: .readable) }
    }
}

/// Batches into a stage's workers, sent by demand and kept until each is acknowledged, so none
/// is lost with a worker that dies and none waits behind a stuck one.
///
/// One connection per consumer, so a producer knows which worker holds which batch: it numbers
/// the batches of each connection from 1 and keeps them until the consumer acknowledges them
/// (it acknowledges a batch once it processed it and everything it produced was acknowledged in
/// turn). When a consumer dies, its unacknowledged batches go to the others.
///
/// Workers are fed by demand (see ``Credit``): each grants its producers a window of items, and
/// a batch goes only to a worker with room, taking turns among those that have it. The results
/// collector takes whatever comes (it only stores), so it gets no window. Consumers holding
/// ``retentionBudget``'s share of unacknowledged bytes wait too: with items of kilobytes, what
/// is kept would otherwise grow with everything in flight downstream.
final class AcknowledgedTransport: BatchTransport {
    /// A batch waiting for a consumer with room.
    private struct Waiting {
        var bytes: [UInt8]
        var inputs: ClosedRange<Int>
        var items: Int
    }

    private final class Consumer {
        let worker: Int
        let socket: Socket
        @exclusivity(unchecked) var nextSequence: UInt64 = 1
        @exclusivity(unchecked) var retained = RetainedBatches()
        /// nil for a consumer without flow control (the results collector).
        @exclusivity(unchecked) var credit: ConsumerCredit?
        /// How many of the transport's ``AcknowledgedTransport/copies`` it was sent.
        @exclusivity(unchecked) var copiesSent = 0

        init(worker: Int, socket: Socket, demandDriven: Bool) {
            self.worker = worker
            self.socket = socket
            credit = demandDriven ? ConsumerCredit() : nil
        }
    }

    private let connect: (Endpoint) throws -> Socket
    /// Whether the consumers grant credit (workers) or take everything (the results collector).
    private let demandDriven: Bool
    /// Told about each new batch before it leaves: the inputs it came from, and its items.
    private let sending: (ClosedRange<Int>, Int) -> Void
    /// Returns once a consumer may have room (or the consumers changed); throws to stop.
    private let waitForRoom: (RoomWait) throws -> Void
    // Touched per batch by the owner's one thread (see BatchSender on exclusivity checks).
    @exclusivity(unchecked) private var consumers: [Consumer] = [] {
        didSet { retentionLimit = max(4 << 20, Self.retentionBudget / max(1, consumers.count)) }
    }
    @exclusivity(unchecked) private var next = 0
    /// Batches placed since grants were last read.
    @exclusivity(unchecked) private var placedSinceGrants = 0
    private let grant = Message()
    /// Batches no consumer could take yet: replays of a lost consumer's batches, or a batch
    /// that found every consumer without room.
    private var backlog = FIFO<Waiting>()
    /// Ids of items the consumers must not emit (see ``CopiesFrame``): what the next stage ran
    /// of lost consumers' outputs. Every consumer gets them all before its next batch.
    @exclusivity(unchecked) private var copies: [UInt64] = []
    private var draining = false
    /// Whether `send` may wait for room; false for a thread that must not block, whose batches
    /// wait in the backlog instead.
    var waitsForRoom = true
    /// Unacknowledged bytes a producer keeps in all, before it waits for acknowledgements.
    static let retentionBudget = 32 << 20
    /// Each consumer's share of ``retentionBudget``.
    @exclusivity(unchecked) private var retentionLimit = retentionBudget
    /// How many batches may leave on what the producer last heard before it reads the grants
    /// again: reading costs a receive per consumer, and a stale view only errs towards waiting.
    static let batchesPerGrantRead = 32

    /// - Parameters:
    ///   - demandDriven: the consumers are workers that grant credit; false for the results
    ///     collector.
    ///   - connect: opens the connection to one consumer's endpoint (``dealer(_:to:highWaterMark:)``
    ///     for workers, ``push(_:to:highWaterMark:)`` for the collector).
    ///   - waitForRoom: waits until one of the given sockets is ready; it may handle
    ///     acknowledgements and consumer changes meanwhile.
    init(
        consumers: [ConsumerEndpoint], demandDriven: Bool = true, connect: @escaping (Endpoint) throws -> Socket,
        sending: @escaping (ClosedRange<Int>, Int) -> Void = { _, _ in },
        waitForRoom: @escaping (RoomWait) throws -> Void
    ) throws {
        self.connect = connect
        self.demandDriven = demandDriven
        self.sending = sending
        self.waitForRoom = waitForRoom
        for consumer in consumers { try add(consumer) }
    }

    /// Batches sent and not yet acknowledged, plus those waiting to be sent.
    var unacknowledged: Int { consumers.reduce(backlog.count) { $0 + $1.retained.count } }
    var hasBacklog: Bool { !backlog.isEmpty }
    var consumerCount: Int { consumers.count }
    /// Items sent to consumers that they have not started, as far as this producer knows,
    /// plus those waiting in the backlog.
    var queuedItems: Int {
        consumers.reduce(0) { $0 + ($1.credit?.unstartedItems ?? 0) }
            + backlog.elements.reduce(0) { $0 + $1.items }
    }

    /// What the roomiest consumer can take now, for a batch sized by the load; at least 1 (a
    /// batch always fits a consumer with nothing waiting).
    var batchLimit: Int {
        var best = 1
        for consumer in consumers {
            guard let credit = consumer.credit else { return AutomaticBatching.maximumItems }
            best = max(best, credit.room)
        }
        return best
    }

    /// Whether a consumer has nothing waiting from this producer, as far as it knows: a batch
    /// sent now would be started at once.
    var hasIdleConsumer: Bool {
        consumers.contains { ($0.credit?.unstartedItems ?? 0) == 0 }
    }

    func send(_ batch: inout [UInt8], inputs: ClosedRange<Int>) throws {
        let items = batch.withUnsafeBytes(BatchHeader.itemCount(of:))
        sending(inputs, items)
        if backlog.isEmpty, try place(&batch, inputs: inputs, items: items) { return }
        backlog.append(Waiting(bytes: batch.withUnsafeBytes { Array($0) }, inputs: inputs, items: items))
        if waitsForRoom { try drainBacklog() }
    }

    /// Sends the backlog, waiting for room as needed. Safe to call from inside `waitForRoom`
    /// (it then returns at once: the outer call is already draining).
    func drainBacklog() throws {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while !backlog.isEmpty {
            if try !placeFirstOfBacklog() { try waitForRoom(roomWait()) }
        }
    }

    /// What to wait on for room for the first batch of the backlog: the queue of a consumer with
    /// credit and retention to spare, the grants of one without credit. Consumers over their
    /// retention share wait for acknowledgements, which come through the control channel.
    private func roomWait() -> RoomWait {
        let limit = retentionLimit
        let items = backlog.first?.items ?? 1
        var wait = RoomWait()
        for consumer in consumers where consumer.retained.byteCount < limit || consumer.retained.count == 0 {
            if let credit = consumer.credit, !credit.admits(items: items) {
                wait.readable.append(consumer.socket)
            } else {
                wait.writable.append(consumer.socket)
            }
        }
        return wait
    }

    /// Sends what of the backlog fits now, without waiting: for a thread that must not block.
    func sendWhatFits() throws {
        guard !draining else { return }
        while !backlog.isEmpty, try placeFirstOfBacklog() {}
    }

    private func placeFirstOfBacklog() throws -> Bool {
        guard try backlog.updateFirst({ try place(&$0.bytes, inputs: $0.inputs, items: $0.items) }) else {
            return false
        }
        backlog.removeFirst()
        return true
    }

    /// Offers the batch to the consumers with room, taking turns; reads their grants first
    /// when it is time to, or when none had room.
    private func place(_ batch: inout [UInt8], inputs: ClosedRange<Int>, items: Int) throws -> Bool {
        if demandDriven {
            placedSinceGrants += 1
            if placedSinceGrants >= Self.batchesPerGrantRead { readGrants() }
        }
        if try offer(&batch, inputs: inputs, items: items) { return true }
        guard demandDriven, readGrants() else { return false }
        return try offer(&batch, inputs: inputs, items: items)
    }

    private func offer(_ batch: inout [UInt8], inputs: ClosedRange<Int>, items: Int) throws -> Bool {
        let limit = retentionLimit
        for _ in 0..<consumers.count {
            let consumer = consumers[next]
            next = next + 1 == consumers.count ? 0 : next + 1
            guard consumer.retained.byteCount < limit || consumer.retained.count == 0 else { continue }
            if let credit = consumer.credit, !credit.admits(items: items) { continue }
            if consumer.copiesSent < copies.count {
                let frame = CopiesFrame.encode(copies[consumer.copiesSent...])
                guard try frame.withUnsafeBytes({ try consumer.socket.trySend($0) }) else { continue }
                consumer.copiesSent = copies.count
            }
            let sequence = consumer.nextSequence
            BatchHeader.stamp(sequence: sequence, into: &batch)
            let sent = try batch.withUnsafeBytes { bytes in
                guard try consumer.socket.trySend(bytes) else { return false }
                consumer.retained.append(sequence: sequence, bytes, inputs: inputs)
                return true
            }
            if sent {
                consumer.nextSequence = sequence + 1
                consumer.credit?.sent(sequence: sequence, items: items)
                return true
            }
        }
        return false
    }

    /// Applies every grant waiting on the consumers' connections; true if any arrived.
    @discardableResult
    func readGrants() -> Bool {
        placedSinceGrants = 0
        var any = false
        for consumer in consumers where consumer.credit != nil {
            while (try? consumer.socket.tryReceive(into: grant)) == true {
                // Anything else on the connection is not from an MPETL worker: ignored.
                guard let decoded = grant.withUnsafeBytes(Credit.decode) else { continue }
                consumer.credit!.apply(decoded)
                any = true
            }
        }
        return any
    }

    /// Forgets the batches `consumer` acknowledged, up to and including `sequence`; `released`
    /// gets the input batches each came from.
    func acknowledge(consumer worker: Int, upTo sequence: UInt64, released: (ClosedRange<Int>) -> Void) {
        guard let consumer = consumers.first(where: { $0.worker == worker }) else { return }
        consumer.credit?.started(through: sequence)
        while let first = consumer.retained.first, first.sequence <= sequence {
            released(first.inputs)
            consumer.retained.removeFirst()
        }
    }

    /// A consumer died: its unacknowledged batches join the backlog for the others (send them
    /// with ``drainBacklog()``), and `copies` go to every consumer before its next batch.
    /// Returns how many batches.
    @discardableResult
    func lose(consumer worker: Int, copies lostCopies: [UInt64] = []) -> Int {
        if demandDriven { copies += lostCopies }
        guard let index = consumers.firstIndex(where: { $0.worker == worker }) else { return 0 }
        let consumer = consumers.remove(at: index)
        next = consumers.isEmpty ? 0 : next % consumers.count
        let replayed = consumer.retained.removeAll()
        for (bytes, inputs) in replayed {
            backlog.append(
                Waiting(bytes: bytes, inputs: inputs, items: bytes.withUnsafeBytes(BatchHeader.itemCount(of:))))
        }
        return replayed.count
    }

    /// A PUSH to the results collector. No wait for the connection: with a single peer there is
    /// no slow joiner to fear, and batches queue until it is up.
    static func push(_ context: Context, to endpoint: Endpoint, highWaterMark: Int) throws -> Socket {
        let socket = try ClusterSecurity.socket(context, type: .push, role: .client)
        try socket.setLinger(milliseconds: 0)
        if highWaterMark > 0 { try socket.setSendHighWaterMark(highWaterMark) }
        try socket.connect(endpoint)
        return socket
    }

    /// A DEALER to one worker's ROUTER input: batches go out, grants come back. Grants are
    /// never dropped for want of queue room (each is 12 bytes, and they are read at least every
    /// ``batchesPerGrantRead`` batches): a lost last grant would leave the producer waiting.
    static func dealer(_ context: Context, to endpoint: Endpoint, highWaterMark: Int) throws -> Socket {
        let socket = try ClusterSecurity.socket(context, type: .dealer, role: .client)
        try socket.setLinger(milliseconds: 0)
        if highWaterMark > 0 { try socket.setSendHighWaterMark(highWaterMark) }
        try socket.setReceiveHighWaterMark(0)
        try socket.connect(endpoint)
        return socket
    }

    /// A new consumer (a replacement worker) takes batches from now on.
    func add(_ consumer: ConsumerEndpoint) throws {
        guard !consumers.contains(where: { $0.worker == consumer.worker }) else { return }
        consumers.append(
            Consumer(worker: consumer.worker, socket: try connect(consumer.endpoint), demandDriven: demandDriven))
    }
}
