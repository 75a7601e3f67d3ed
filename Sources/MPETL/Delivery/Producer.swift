import Synchronization
import ZeroMQ

/// One stream of batches into a stage's workers, as the driver's feed, a worker's output and a
/// `Pipeline.send` link each have: it batches items (``BatchSender``), sends the batches by
/// demand and keeps them until acknowledged, replaying a lost worker's to the others
/// (``AcknowledgedTransport``).
///
/// One thread drives it at a time (its owner serialises callers). What other threads learn
/// about its consumers — acknowledgements, a lost or an added worker — they ``deliver(_:)``
/// as events, and the driving thread applies them at the producer's own safe points: when
/// ``applyEvents()`` is called between batches, and whenever it waits for room. So no event
/// changes the consumers in the middle of a placement, and nobody needs to lock the producer
/// again from inside its own wait.
final class Producer: @unchecked Sendable {
    // Sendable for ``deliver(_:)`` alone, which any thread may call (the inbox has its own
    // lock); everything else is its one driving thread's.
    enum Event: Sendable {
        case acknowledged(consumer: Int, upTo: UInt64)
        /// `copies`: what not to emit again (see ``CopiesFrame``).
        case lost(consumer: Int, copies: [UInt64] = [])
        case added(ConsumerEndpoint)
    }

    let sender: BatchSender
    let transport: AcknowledgedTransport
    private let inbox = Mutex<[Event]>([])
    /// Told, on the driving thread, the inputs each acknowledged batch came from.
    private let released: (ClosedRange<Int>) -> Void

    /// - Parameters:
    ///   - sending: told about each batch as it leaves: the inputs it came from, and its items.
    ///   - released: told the inputs of each batch once it is acknowledged.
    ///   - waitForRoom: the owner's wait (polling the sockets, and whatever else it must
    ///     watch); events delivered meanwhile are applied when it returns.
    init(
        consumers: [ConsumerEndpoint], demandDriven: Bool = true, connect: @escaping (Endpoint) throws -> Socket,
        pipeline: UInt32, stage: Int, producer: UInt32, chunkSize: Int,
        sending: @escaping (ClosedRange<Int>, Int) -> Void = { _, _ in },
        released: @escaping (ClosedRange<Int>) -> Void = { _ in },
        waitForRoom: @escaping (RoomWait) throws -> Void
    ) throws {
        self.released = released
        // The transport calls back into this producer only while it is being driven.
        let applier = EventApplier()
        transport = try AcknowledgedTransport(
            consumers: consumers, demandDriven: demandDriven, connect: connect, sending: sending,
            waitForRoom: { wait in
                try waitForRoom(wait)
                try applier.producer?.applyEvents()
            })
        sender = BatchSender(
            transport: transport, pipeline: pipeline, stage: stage, producer: producer, chunkSize: chunkSize)
        applier.producer = self
    }

    /// From any thread: an event for the driving thread to apply.
    func deliver(_ event: Event) {
        inbox.withLock { $0.append(event) }
    }

    var hasEvents: Bool { inbox.withLock { !$0.isEmpty } }

    /// On the driving thread: applies the events delivered so far. A lost consumer's batches
    /// join the backlog; sending them is the caller's (``AcknowledgedTransport/drainBacklog()``
    /// or, for a thread that must not block, ``AcknowledgedTransport/sendWhatFits()``).
    func applyEvents() throws {
        for event in inbox.withLock({ taken in
            defer { taken.removeAll() }
            return taken
        }) {
            switch event {
            case .acknowledged(let consumer, let upTo):
                transport.acknowledge(consumer: consumer, upTo: upTo, released: released)
            case .lost(let consumer, let copies):
                transport.lose(consumer: consumer, copies: copies)
            case .added(let consumer):
                try transport.add(consumer)
            }
        }
    }

    /// Lets the transport's wait reach the producer built around it (which owns the transport,
    /// so the reference back is weak).
    private final class EventApplier {
        weak var producer: Producer?
    }
}
