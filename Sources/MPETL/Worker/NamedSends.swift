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
/// has its share replayed to the others. Each link is a ``Producer``.
///
/// A plain lock serialises the threads that send (a stage body may start threads of its own).
/// Nothing here takes it again from inside a send: what the coordinator says about a link while
/// a send waits for room is delivered to the link's producer as an event, applied at its own
/// safe points, and what the worker reads meanwhile (pending items, sent batches' inputs) is
/// kept apart under locks of its own.
final class NamedSends: @unchecked Sendable {
    /// This process's links, once it runs a stage; nil in drivers and before a worker's start().
    static let current = Mutex<NamedSends?>(nil)

    private struct Link {
        let route: SendRoute
        let producer: Producer
        var sender: BatchSender { producer.sender }
        var transport: AcknowledgedTransport { producer.transport }
    }

    /// Held while a thread drives the links (sends, flushes, drains); never taken twice.
    private let lock = NSLock()
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
    /// Told the inputs of each link batch once it is acknowledged.
    private let released: (ClosedRange<Int>) -> Void
    private var links: [String: Link] = [:]
    /// Each link's producer by the pipeline it feeds: where events go, without `lock`.
    private let producers = Mutex<[String: Producer]>([:])
    /// Batches that left since the worker last looked, by the inputs they came from.
    private let sentInputs = Mutex<[ClosedRange<Int>]>([])
    /// Items in partial batches, and the first input they came from, as of the last time a
    /// thread finished driving the links. Stale only while a send is under way, and then only
    /// by items of the input being processed, which is not done anyway.
    private let pending = Mutex<(items: Int, from: Int?)>((0, nil))

    /// - Parameters:
    ///   - resolve: asks the coordinator for a name's route; throws ``PipelineError`` when refused.
    ///   - waitForRoom: waits until one of the receivers' sockets can take a batch (as for the
    ///     worker's output).
    ///   - released: told the inputs of each link batch once it is acknowledged.
    init(
        context: Context, currentItem: @escaping () -> UInt64, currentInput: @escaping () -> Int,
        resolve: @escaping (String) throws -> SendRoute, waitForRoom: @escaping (RoomWait) throws -> Void,
        released: @escaping (ClosedRange<Int>) -> Void = { _ in }
    ) {
        self.context = context
        self.currentItem = currentItem
        self.currentInput = currentInput
        resolveRoute = resolve
        self.waitForRoom = waitForRoom
        self.released = released
    }

    func send<Items: Sequence>(_ name: String, _ items: Items) throws where Items.Element: Encodable {
        try driving {
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
        return pending.withLock { $0.items }
    }

    /// The first input with items in a partial batch, if any: it is not done yet.
    var pendingFrom: Int? {
        guard opened.load(ordering: .relaxed) else { return nil }
        return pending.withLock { $0.from }
    }

    /// Sends every partial batch.
    func flush() throws {
        guard opened.load(ordering: .relaxed) else { return }
        try driving { for link in links.values { try link.sender.flush() } }
    }

    /// Sends each partial batch sized by the load that has lingered (see ``AutomaticBatching``).
    func flushIfLingering(now: UInt64) throws {
        guard opened.load(ordering: .relaxed) else { return }
        try driving { for link in links.values { try link.sender.flushIfLingering(now: now) } }
    }

    /// Takes the inputs of the batches sent since the last call, for the worker's ledger.
    func takeSentInputs() -> [ClosedRange<Int>] {
        guard opened.load(ordering: .relaxed) else { return [] }
        return sentInputs.withLock { taken in
            defer { taken.removeAll() }
            return taken
        }
    }

    /// Batches pushed through each link, by the link's producer id.
    var sentBatches: [UInt32: UInt64] {
        guard opened.load(ordering: .relaxed) else { return [:] }
        return driving {
            Dictionary(uniqueKeysWithValues: links.values.map { ($0.route.producer, $0.sender.batchesSent) })
        }
    }

    /// From the worker's thread, whatever it is doing (even waiting for room inside a send): an
    /// acknowledgement, a lost or an added worker of the named pipeline `pipeline`.
    func deliver(_ event: Producer.Event, pipeline: String) {
        producers.withLock { $0[pipeline] }?.deliver(event)
    }

    /// Applies what was delivered and sends what lost receivers left, waiting for room as needed.
    func drainBacklogs() throws {
        guard opened.load(ordering: .relaxed) else { return }
        try driving { for link in links.values where link.transport.hasBacklog { try link.transport.drainBacklog() } }
    }

    /// Runs `body` as the one thread driving the links: events delivered so far are applied
    /// first, and what is pending is noted after.
    private func driving<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer {
            // Per send, so no arrays: a body may send an item at a time.
            var items = 0
            var from: Int?
            for link in links.values where link.sender.pendingItems > 0 {
                items += link.sender.pendingItems
                from = min(from ?? .max, link.sender.lowestInputOfBatch)
            }
            pending.withLock { $0 = (items, from) }
            lock.unlock()
        }
        for link in links.values {
            do {
                try link.producer.applyEvents()
            } catch {
                Log.warning(
                    "a Pipeline.send link into \(link.route.name) could not take on a replacement worker: \(error)")
            }
        }
        return try body()
    }

    private func link(for name: String) throws -> Link {
        if let link = links[name] { return link }
        let route = try resolveRoute(name)
        let context = context
        let producer = try Producer(
            consumers: route.consumers,
            connect: { try AcknowledgedTransport.dealer(context, to: $0, highWaterMark: route.input.highWaterMark) },
            pipeline: route.ordinal, stage: 0, producer: route.producer, chunkSize: route.input.chunkSize,
            sending: { [unowned self] inputs, _ in sentInputs.withLock { $0.append(inputs) } },
            released: released, waitForRoom: waitForRoom)
        let link = Link(route: route, producer: producer)
        links[name] = link
        producers.withLock { $0[route.pipeline] = producer }
        opened.store(true, ordering: .relaxed)
        return link
    }
}
