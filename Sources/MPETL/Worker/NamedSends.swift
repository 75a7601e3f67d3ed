import Foundation
import Synchronization
import ZeroMQ

/// The `Pipeline.send` links of one worker process: straight into each named pipeline's
/// first-stage workers, one DEALER per worker, sent by demand and every batch kept until it is
/// done there.
///
/// A name is resolved once, by asking the coordinator, which also starts counting the link.
/// Items are batched by the receiver's first stage chunk size, like the driver's feed. The
/// batches a link sends count against the input batch that sent them (see ``InputLedger``),
/// so an input is done only when what it sent is done too, and a receiving worker that dies
/// has its share replayed to the others (see ``AcknowledgedTransport``).
final class NamedSends: @unchecked Sendable {
    /// This process's links, once it runs a stage; nil in drivers and before a worker's start().
    static let current = Mutex<NamedSends?>(nil)

    private struct Link {
        let route: SendRoute
        let sender: BatchSender
        let transport: AcknowledgedTransport
    }

    // Everything below is only touched while holding `lock`: stage bodies call `send` on the
    // worker's thread, but a body may start threads of its own. Recursive, because waiting
    // for room handles the coordinator's messages, which may be about these links.
    private let lock = NSRecursiveLock()
    /// Whether any link was opened: read without the lock by the worker's idle path, which
    /// must stay cheap for the many stages that never send (a stale false only delays a flush
    /// to the next idle moment).
    private let opened = Atomic<Bool>(false)
    private let context: Context
    /// The id of the item the stage is processing: what it sends derives its ids from it.
    private let currentItem: () -> UInt64
    /// The worker's input batch being processed: what it sends counts against it.
    private let currentInput: () -> Int
    private let resolveRoute: (String) throws -> SendRoute
    private let waitForRoom: (RoomWait) throws -> Void
    private var links: [String: Link] = [:]
    /// Batches that left since the worker last looked, by the inputs they came from.
    private var sentInputs: [ClosedRange<Int>] = []

    /// - Parameters:
    ///   - resolve: asks the coordinator for a name's route; throws ``PipelineError`` when refused.
    ///   - waitForRoom: waits until one of the receivers' sockets can take a batch (as for the
    ///     worker's output).
    init(context: Context, currentItem: @escaping () -> UInt64, currentInput: @escaping () -> Int,
         resolve: @escaping (String) throws -> SendRoute, waitForRoom: @escaping (RoomWait) throws -> Void) {
        self.context = context
        self.currentItem = currentItem
        self.currentInput = currentInput
        resolveRoute = resolve
        self.waitForRoom = waitForRoom
    }

    func send<Items: Sequence>(_ name: String, _ items: Items) throws where Items.Element: Encodable {
        try locked {
            let link = try link(for: name)
            try link.route.check(Items.Element.self)
            let parent = currentItem() ^ ItemID.sendSalt
            if link.sender.parentID != parent { link.sender.startItem(id: parent) }
            link.sender.currentInput = currentInput()
            for item in items { try link.sender.append(item) }
        }
    }

    /// Items waiting in partial batches.
    var pendingItems: Int {
        guard opened.load(ordering: .relaxed) else { return 0 }
        return locked { links.values.reduce(0) { $0 + $1.sender.pendingItems } }
    }

    /// The first input with items in a partial batch, if any: it is not done yet.
    var pendingFrom: Int? {
        guard opened.load(ordering: .relaxed) else { return nil }
        return locked { links.values.filter { $0.sender.pendingItems > 0 }.map(\.sender.firstInputOfBatch).min() }
    }

    /// Sends every partial batch.
    func flush() throws {
        guard opened.load(ordering: .relaxed) else { return }
        try locked { for link in links.values { try link.sender.flush() } }
    }

    /// Sends each partial batch sized by the load that has lingered (see ``AutomaticBatching``).
    func flushIfLingering(now: UInt64) throws {
        guard opened.load(ordering: .relaxed) else { return }
        try locked { for link in links.values { try link.sender.flushIfLingering(now: now) } }
    }

    /// Takes the inputs of the batches sent since the last call, for the worker's ledger.
    func takeSentInputs() -> [ClosedRange<Int>] {
        guard opened.load(ordering: .relaxed) else { return [] }
        return locked {
            defer { sentInputs.removeAll() }
            return sentInputs
        }
    }

    /// Batches pushed through each link, by the link's producer id.
    var sentBatches: [UInt32: UInt64] {
        guard opened.load(ordering: .relaxed) else { return [:] }
        return locked { Dictionary(uniqueKeysWithValues: links.values.map { ($0.route.producer, $0.sender.batchesSent) }) }
    }

    /// A worker of the named pipeline `pipeline` acknowledged batches up to `upTo`.
    func acknowledge(pipeline: String, consumer: Int, upTo: UInt64, released: (ClosedRange<Int>) -> Void) {
        locked { transport(into: pipeline)?.acknowledge(consumer: consumer, upTo: upTo, released: released) }
    }

    /// A first-stage worker of `pipeline` died: what it had not acknowledged goes to the others.
    func lose(pipeline: String, consumer: Int) {
        locked { _ = transport(into: pipeline)?.lose(consumer: consumer) }
    }

    /// A replacement first-stage worker of `pipeline` joined.
    func add(pipeline: String, consumer: ConsumerEndpoint) throws {
        try locked { try transport(into: pipeline)?.add(consumer) }
    }

    /// Sends what lost receivers left, waiting for room as needed.
    func drainBacklogs() throws {
        guard opened.load(ordering: .relaxed) else { return }
        try locked { for link in links.values where link.transport.hasBacklog { try link.transport.drainBacklog() } }
    }

    private func transport(into pipeline: String) -> AcknowledgedTransport? {
        links.values.first { $0.route.pipeline == pipeline }?.transport
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    private func link(for name: String) throws -> Link {
        if let link = links[name] { return link }
        let route = try resolveRoute(name)
        let context = context
        let transport = try AcknowledgedTransport(
            consumers: route.consumers,
            connect: { try AcknowledgedTransport.dealer(context, to: $0, highWaterMark: route.input.highWaterMark) },
            sending: { [unowned self] inputs, _ in sentInputs.append(inputs) },
            waitForRoom: waitForRoom)
        let link = Link(route: route, sender: BatchSender(transport: transport, pipeline: route.ordinal, stage: 0,
                                                          producer: route.producer, chunkSize: route.input.chunkSize),
                        transport: transport)
        links[name] = link
        opened.store(true, ordering: .relaxed)
        return link
    }
}
