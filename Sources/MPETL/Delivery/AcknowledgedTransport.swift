import ZeroMQ

/// Batches into a stage's workers, kept until each is acknowledged, so none is lost with a
/// worker that dies.
///
/// One PUSH per consumer, so a producer knows which worker holds which batch: it numbers the
/// batches of each connection from 1 and keeps them until the consumer acknowledges them (it
/// acknowledges a batch once it processed it and everything it produced was acknowledged in
/// turn). When a consumer dies, its unacknowledged batches go to the others. Batches are
/// shared round-robin, skipping consumers whose queue is full, as libzmq's PUSH would, and
/// consumers holding ``retentionBudget``'s share of unacknowledged bytes: with items of
/// kilobytes, what is kept would otherwise grow with everything in flight downstream.
final class AcknowledgedTransport: BatchTransport {
    /// A batch waiting for a consumer with room.
    private struct Waiting {
        var bytes: [UInt8]
        var inputs: ClosedRange<Int>
    }

    private final class Consumer {
        let worker: Int
        let socket: Socket
        @exclusivity(unchecked) var nextSequence: UInt64 = 1
        @exclusivity(unchecked) var retained = RetainedBatches()

        init(worker: Int, socket: Socket) {
            self.worker = worker
            self.socket = socket
        }
    }

    private let connect: (String) throws -> Socket
    /// Told about each new batch before it leaves, with the inputs it came from.
    private let sending: (ClosedRange<Int>) -> Void
    /// Returns once one of the sockets may take a batch (or the consumers changed); throws to stop.
    private let waitForRoom: ([Socket]) throws -> Void
    // Touched per batch by the owner's one thread (see BatchSender on exclusivity checks).
    @exclusivity(unchecked) private var consumers: [Consumer] = [] {
        didSet { retentionLimit = max(4 << 20, Self.retentionBudget / max(1, consumers.count)) }
    }
    @exclusivity(unchecked) private var next = 0
    /// Batches no consumer could take yet: replays of a lost consumer's batches, or a batch
    /// that found every queue full.
    private var backlog = FIFO<Waiting>()
    private var draining = false
    /// Unacknowledged bytes a producer keeps in all, before it waits for acknowledgements.
    static let retentionBudget = 32 << 20
    /// Each consumer's share of ``retentionBudget``.
    @exclusivity(unchecked) private var retentionLimit = retentionBudget

    /// - Parameters:
    ///   - connect: opens a PUSH to one consumer's endpoint.
    ///   - waitForRoom: waits until one of the given sockets can take a batch; it may handle
    ///     acknowledgements and consumer changes meanwhile.
    init(consumers: [ConsumerEndpoint], connect: @escaping (String) throws -> Socket,
         sending: @escaping (ClosedRange<Int>) -> Void = { _ in },
         waitForRoom: @escaping ([Socket]) throws -> Void) throws {
        self.connect = connect
        self.sending = sending
        self.waitForRoom = waitForRoom
        for consumer in consumers { try add(consumer) }
    }

    /// Batches sent and not yet acknowledged, plus those waiting to be sent.
    var unacknowledged: Int { consumers.reduce(backlog.count) { $0 + $1.retained.count } }
    var hasBacklog: Bool { !backlog.isEmpty }
    var consumerCount: Int { consumers.count }

    func send(_ batch: inout [UInt8], inputs: ClosedRange<Int>) throws {
        sending(inputs)
        if backlog.isEmpty, try place(&batch, inputs: inputs) { return }
        backlog.append(Waiting(bytes: batch.withUnsafeBytes { Array($0) }, inputs: inputs))
        try drainBacklog()
    }

    /// Sends the backlog, waiting for room as needed. Safe to call from inside `waitForRoom`
    /// (it then returns at once: the outer call is already draining).
    func drainBacklog() throws {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while !backlog.isEmpty {
            if try !placeFirstOfBacklog() {
                // Consumers over their share wait for acknowledgements, not for queue room.
                let limit = retentionLimit
                try waitForRoom(consumers.filter { $0.retained.byteCount < limit }.map(\.socket))
            }
        }
    }

    /// Sends what of the backlog fits now, without waiting: for a thread that must not block.
    func sendWhatFits() throws {
        guard !draining else { return }
        while !backlog.isEmpty, try placeFirstOfBacklog() {}
    }

    private func placeFirstOfBacklog() throws -> Bool {
        guard try backlog.updateFirst({ try place(&$0.bytes, inputs: $0.inputs) }) else { return false }
        backlog.removeFirst()
        return true
    }

    /// Offers the batch to each consumer once, starting after the last one used.
    private func place(_ batch: inout [UInt8], inputs: ClosedRange<Int>) throws -> Bool {
        let limit = retentionLimit
        for _ in 0..<consumers.count {
            let consumer = consumers[next]
            next = next + 1 == consumers.count ? 0 : next + 1
            guard consumer.retained.byteCount < limit || consumer.retained.count == 0 else { continue }
            let sequence = consumer.nextSequence
            batch.withUnsafeMutableBytes { $0.storeBytes(of: sequence.littleEndian, toByteOffset: 16, as: UInt64.self) }
            let sent = try batch.withUnsafeBytes { bytes in
                guard try consumer.socket.trySend(bytes) else { return false }
                consumer.retained.append(sequence: sequence, bytes, inputs: inputs)
                return true
            }
            if sent {
                consumer.nextSequence = sequence + 1
                return true
            }
        }
        return false
    }

    /// Forgets the batches `consumer` acknowledged, up to and including `sequence`; `released`
    /// gets the input batches each came from.
    func acknowledge(consumer worker: Int, upTo sequence: UInt64, released: (ClosedRange<Int>) -> Void) {
        guard let consumer = consumers.first(where: { $0.worker == worker }) else { return }
        while let first = consumer.retained.first, first.sequence <= sequence {
            released(first.inputs)
            consumer.retained.removeFirst()
        }
    }

    /// A consumer died: its unacknowledged batches join the backlog for the others (send them
    /// with ``drainBacklog()``). Returns how many.
    @discardableResult
    func lose(consumer worker: Int) -> Int {
        guard let index = consumers.firstIndex(where: { $0.worker == worker }) else { return 0 }
        let consumer = consumers.remove(at: index)
        next = consumers.isEmpty ? 0 : next % consumers.count
        let replayed = consumer.retained.removeAll()
        for (bytes, inputs) in replayed { backlog.append(Waiting(bytes: bytes, inputs: inputs)) }
        return replayed.count
    }

    /// A PUSH to one consumer. No wait for the connection: with a single peer there is no
    /// slow joiner to fear, and batches queue until it is up.
    static func push(_ context: Context, to endpoint: String, highWaterMark: Int) throws -> Socket {
        let socket = try ClusterSecurity.socket(context, type: .push, role: .client)
        try socket.setLinger(milliseconds: 0)
        if highWaterMark > 0 { try socket.setSendHighWaterMark(highWaterMark) }
        try socket.connect(endpoint)
        return socket
    }

    /// A new consumer (a replacement worker) takes batches from now on.
    func add(_ consumer: ConsumerEndpoint) throws {
        guard !consumers.contains(where: { $0.worker == consumer.worker }) else { return }
        consumers.append(Consumer(worker: consumer.worker, socket: try connect(consumer.endpoint)))
    }
}
