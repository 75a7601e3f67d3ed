import Foundation
import Synchronization
import ZeroMQ

/// The `Pipeline.send` links of one worker process: one PUSH per named pipeline, straight into
/// its first stage's workers.
///
/// A name is resolved once, by asking the coordinator, which also starts counting the link; after
/// that every batch goes directly to the receiver. Items are batched by the receiver's first
/// stage chunk size, like the driver's feed.
final class NamedSends: @unchecked Sendable {
    /// This process's links, once it runs a stage; nil in drivers and before a worker's start().
    static let current = Mutex<NamedSends?>(nil)

    private struct Link {
        let route: SendRoute
        let sender: BatchSender
    }

    // Everything below is only touched while holding `lock`: stage bodies call `send` on the
    // worker's thread, but a body may start threads of its own.
    private let lock = NSLock()
    /// Whether any link was opened: read without the lock by the worker's idle path, which
    /// must stay cheap for the many stages that never send (a stale false only delays a flush
    /// to the next idle moment).
    private let opened = Atomic<Bool>(false)
    private let context: Context
    /// The id of the item the stage is processing: what it sends derives its ids from it.
    private let currentItem: () -> UInt64
    private let resolveRoute: (String) throws -> SendRoute
    private let waitForRoom: (Socket) throws -> Void
    private var links: [String: Link] = [:]

    /// - Parameters:
    ///   - resolve: asks the coordinator for a name's route; throws ``PipelineError`` when refused.
    ///   - waitForRoom: waits until a full receiver can take a batch (as for the worker's output).
    init(context: Context, currentItem: @escaping () -> UInt64, resolve: @escaping (String) throws -> SendRoute,
         waitForRoom: @escaping (Socket) throws -> Void) {
        self.context = context
        self.currentItem = currentItem
        resolveRoute = resolve
        self.waitForRoom = waitForRoom
    }

    func send<Items: Sequence>(_ name: String, _ items: Items) throws where Items.Element: Encodable {
        lock.lock()
        defer { lock.unlock() }
        let link = try link(for: name)
        try link.route.check(Items.Element.self)
        let parent = currentItem() ^ ItemID.sendSalt
        if link.sender.parentID != parent { link.sender.startItem(id: parent) }
        for item in items { try link.sender.append(item) }
    }

    /// Items waiting in partial batches.
    var pendingItems: Int {
        guard opened.load(ordering: .relaxed) else { return 0 }
        lock.lock()
        defer { lock.unlock() }
        return links.values.reduce(0) { $0 + $1.sender.pendingItems }
    }

    /// Sends every partial batch.
    func flush() throws {
        guard opened.load(ordering: .relaxed) else { return }
        lock.lock()
        defer { lock.unlock() }
        for link in links.values { try link.sender.flush() }
    }

    /// Batches pushed through each link, by the link's producer id.
    var sentBatches: [UInt32: UInt64] {
        guard opened.load(ordering: .relaxed) else { return [:] }
        lock.lock()
        defer { lock.unlock() }
        return Dictionary(uniqueKeysWithValues: links.values.map { ($0.route.producer, $0.sender.batchesSent) })
    }

    private func link(for name: String) throws -> Link {
        if let link = links[name] { return link }
        let route = try resolveRoute(name)
        let socket = try ClusterSecurity.socket(context, type: .push, role: .client)
        try socket.setLinger(milliseconds: 0)
        if route.input.highWaterMark > 0 { try socket.setSendHighWaterMark(route.input.highWaterMark) }
        try socket.connect(route.endpoints, waitingUpTo: 30_000)
        let link = Link(route: route, sender: BatchSender(
            transport: LinkTransport(socket: socket, waitForRoom: waitForRoom), pipeline: route.ordinal, stage: 0,
            producer: route.producer, chunkSize: route.input.chunkSize))
        links[name] = link
        opened.store(true, ordering: .relaxed)
        return link
    }
}
