import Foundation
import Synchronization
import ZeroMQ

/// The driver's feed into stage 0: a ``Producer`` whose batches go to the first stage's
/// workers by demand and are kept until acknowledged.
///
/// Safe to call from any thread: the producer is driven only while holding `lock` (never
/// recursively). The agent thread delivers acknowledgements and consumer changes as producer
/// events; it applies them itself when no user thread is feeding, else the feeding thread does,
/// at the producer's safe points.
final class Feeder: @unchecked Sendable {
    typealias Event = Producer.Event

    private let lock = NSLock()
    // Set once in init, driven under `lock`.
    @exclusivity(unchecked) private var producer: Producer!
    private var transport: AcknowledgedTransport { producer.transport }
    private var sender: BatchSender { producer.sender }
    private var closed = false
    private var completed = false
    /// Wakes a feeding thread that waits for acknowledgements rather than for queue room.
    private let wakeUp = NSCondition()
    /// Called once, when the feed is closed and all of it was acknowledged.
    private let onComplete: (_ batches: UInt64, _ items: UInt64) -> Void
    /// Asks the agent thread to call ``flushLingering()`` at the given time (``DispatchTime``
    /// nanoseconds): a partial batch sized by the load must not wait for the next `feed`.
    private let onLinger: (UInt64) -> Void
    /// Items that left in batches, for `stats()` while a feed runs (a long `feed` holds `lock`).
    let itemsSent = Atomic<UInt64>(0)
    /// Whether a linger request is with the agent: one at a time, however often `feed` returns.
    private let lingerRequested = Atomic<Bool>(false)

    init(
        context: Context, run: PipelineRun, consumers: [ConsumerEndpoint], ordinal: UInt32,
        chunkSize: Int, highWaterMark: Int, onLinger: @escaping (UInt64) -> Void,
        onComplete: @escaping (UInt64, UInt64) -> Void
    ) throws {
        self.onComplete = onComplete
        self.onLinger = onLinger
        producer = try Producer(
            consumers: consumers,
            connect: { endpoint in try AcknowledgedTransport.dealer(context, to: endpoint, highWaterMark: highWaterMark)
            },
            pipeline: ordinal, stage: 0, producer: BatchHeader.driverProducer, chunkSize: chunkSize,
            sending: { [unowned self] _, items in itemsSent.add(UInt64(items), ordering: .relaxed) },
            // Weak: the run keeps this feeder (to deliver events), and a cycle would keep the
            // feed's sockets open for the life of the program.
            waitForRoom: { [unowned self, weak run] wait in
                // Waits in short steps: the agent's events and the run's failure arrive meanwhile.
                if wait.isEmpty {
                    waitForEvent(milliseconds: 50)
                } else {
                    _ = try Poller(waitingOn: wait).poll(timeoutMilliseconds: 50)
                }
                if let failure = run?.failure { throw failure }
                try applyEvents(draining: false)
            })
    }

    /// Whether `close()` has been called.
    var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Encodes and queues items. - Throws: ``PipelineError/Code/feedClosed`` after close.
    func feed<Item: Encodable>(_ items: some Sequence<Item>, label: String) throws {
        lock.lock()
        defer { unlock() }
        guard !closed else {
            throw PipelineError(
                code: .feedClosed, pipeline: label,
                reason:
                    "feed was called after join() or asCompleted() closed the feed; feed every item before joining, or "
                    + "start a new Pipeline"
            )
        }
        try applyEvents(draining: true)
        for item in items { try sender.append(item) }
        try leavePartialBatch()
    }

    /// At the end of a `feed`, with batches sized by the load: a partial batch goes now if a
    /// worker is idle (the stage would wait for it otherwise), else at the latest when it has
    /// lingered, unless more items fill it first. Must hold `lock`.
    private func leavePartialBatch() throws {
        guard sender.isAutomatic, sender.pendingItems > 0 else { return }
        if transport.hasIdleConsumer {
            try sender.flush()
        } else if !lingerRequested.exchange(true, ordering: .relaxed) {
            onLinger(sender.pendingSince &+ AutomaticBatching.lingerNanoseconds)
        }
    }

    /// From the agent thread, once a partial batch may have lingered: sends it if it did,
    /// without waiting for room (what finds none waits in the backlog for the next `feed`, an
    /// acknowledgement or `join`). Does nothing while a user thread feeds: it will see to it.
    func flushLingering() {
        lingerRequested.store(false, ordering: .relaxed)
        guard lock.try() else { return }
        defer { unlock() }
        transport.waitsForRoom = false
        defer { transport.waitsForRoom = true }
        do {
            try sender.flushIfLingering(now: DispatchTime.now().uptimeNanoseconds)
            if sender.pendingItems > 0, !lingerRequested.exchange(true, ordering: .relaxed) {
                onLinger(sender.pendingSince &+ AutomaticBatching.lingerNanoseconds)
            }
        } catch {
            Log.warning("the feed could not send a lingering batch: \(error)")
        }
    }

    /// Sends the partial batch and closes the feed; the feed completes once all is acknowledged.
    func close() throws {
        lock.lock()
        defer { unlock() }
        guard !closed else { return }
        closed = true
        try sender.flush()
        try applyEvents(draining: true)
    }

    /// From the agent thread: applies `event` now if no other thread is feeding, else leaves it
    /// to the feeding thread, which looks for events while it waits.
    func deliver(_ event: Event) {
        producer.deliver(event)
        wakeUp.lock()
        wakeUp.signal()
        wakeUp.unlock()
        guard lock.try() else { return }
        defer { lock.unlock() }
        applyEventsWithoutWaiting()
    }

    /// Waits until the agent delivers an event, or `milliseconds` pass.
    private func waitForEvent(milliseconds: Int) {
        wakeUp.lock()
        defer { wakeUp.unlock() }
        if !producer.hasEvents {
            _ = wakeUp.wait(until: Date(timeIntervalSinceNow: Double(milliseconds) / 1000))
        }
    }

    /// Releases `lock`, then applies any event delivered while it was held: the agent thread
    /// could not take the lock then, and no later event may come to carry it.
    private func unlock() {
        lock.unlock()
        while producer.hasEvents, lock.try() {
            defer { lock.unlock() }
            applyEventsWithoutWaiting()
        }
    }

    /// Applies waiting events, holding `lock`, on a thread that must not block or throw: a
    /// failure is logged rather than thrown at that thread.
    private func applyEventsWithoutWaiting() {
        do {
            try applyEvents(draining: false)
        } catch {
            Log.warning("the feed could not replay batches of a lost worker: \(error)")
        }
    }

    /// Applies waiting events; with `draining`, also waits to send replayed batches (only a
    /// feeding thread may block). Must hold `lock`.
    private func applyEvents(draining: Bool) throws {
        try producer.applyEvents()
        if transport.hasBacklog {
            if draining { try transport.drainBacklog() } else { try transport.sendWhatFits() }
        }
        if closed, !completed, transport.unacknowledged == 0 {
            completed = true
            onComplete(sender.batchesSent, sender.itemsSent)
        }
    }
}
