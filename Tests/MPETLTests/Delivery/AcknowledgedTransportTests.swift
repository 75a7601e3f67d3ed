import Foundation
import Testing
import ZeroMQ

@testable import MPETL

/// `count` consumer sockets bound at `inproc://NAME-0`, `-1`, …, for a producer to connect to.
func boundConsumers(_ context: Context, type: SocketType, named name: String, count: Int) throws -> [Socket] {
    try (0..<count).map { index in
        let socket = try Socket(context, type: type)
        try socket.bind("inproc://\(name)-\(index)")
        return socket
    }
}

/// The producer side of acknowledgements, over real ZeroMQ sockets: one connection per
/// consumer, numbering per connection, forgetting on acknowledgement, replaying a lost
/// consumer's batches to the others, and taking on a replacement (here to PULL consumers that
/// take everything, as the results collector does; credit is tested below).
@Suite("Acknowledged transport")
struct AcknowledgedTransportTests {
    let context: Context
    let consumers: [Socket]

    init() throws {
        context = try Context()
        consumers = try boundConsumers(context, type: .pull, named: "acknowledged", count: 3)
    }

    func transport(to workers: [Int]) throws -> AcknowledgedTransport {
        let context = context
        return try AcknowledgedTransport(
            consumers: workers.map { ConsumerEndpoint(worker: $0, endpoint: "inproc://acknowledged-\($0)") },
            demandDriven: false,
            connect: { try AcknowledgedTransport.push(context, to: $0, highWaterMark: 0) },
            waitForRoom: { _ in Issue.record("no queue should be full here") })
    }

    static func batch(marker: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: BatchHeader.size)
        BatchHeader(pipeline: 0, stage: 1, producer: marker, sequence: 0, itemCount: 0).write(into: &bytes)
        return bytes
    }

    /// (producer marker, sequence) of every batch waiting at consumer `index`.
    func received(at index: Int) throws -> [(UInt32, UInt64)] {
        var batches: [(UInt32, UInt64)] = []
        let message = Message()
        while try consumers[index].tryReceive(into: message) {
            let header = try message.withUnsafeBytes { try BatchHeader(parsing: $0) }
            batches.append((header.producer, header.sequence))
        }
        return batches
    }

    func receivedEventually(at index: Int, count: Int) throws -> [(UInt32, UInt64)] {
        var batches: [(UInt32, UInt64)] = []
        let deadline = ContinuousClock.now + .seconds(5)
        while batches.count < count, ContinuousClock.now < deadline { batches += try received(at: index) }
        return batches
    }

    @Test func batchesAreSharedNumberedKeptAndReplayedWhenAConsumerIsLost() throws {
        let transport = try transport(to: [0, 1])
        for marker in 0..<4 as Range<UInt32> {
            var bytes = Self.batch(marker: marker)
            try transport.send(&bytes, inputs: Int(marker)...Int(marker))
        }
        let first = try receivedEventually(at: 0, count: 2)
        let second = try receivedEventually(at: 1, count: 2)
        #expect(first.map(\.0) == [0, 2] && first.map(\.1) == [1, 2], "round-robin, numbered per connection from 1")
        #expect(second.map(\.0) == [1, 3] && second.map(\.1) == [1, 2])
        #expect(transport.unacknowledged == 4)

        var released: [ClosedRange<Int>] = []
        transport.acknowledge(consumer: 0, upTo: 1) { released.append($0) }
        #expect(released == [0...0])
        #expect(transport.unacknowledged == 3)

        #expect(transport.lose(consumer: 1) == 2)
        try transport.drainBacklog()
        let replayed = try receivedEventually(at: 0, count: 2)
        #expect(replayed.map(\.0) == [1, 3], "the lost consumer's batches, to the one left")
        #expect(replayed.map(\.1) == [3, 4], "renumbered on their new connection")
        released = []
        transport.acknowledge(consumer: 0, upTo: 4) { released.append($0) }
        #expect(released == [2...2, 1...1, 3...3], "each batch releases the inputs it came from")
        #expect(transport.unacknowledged == 0)
    }

    @Test func aReplacementConsumerTakesItsShare() throws {
        let transport = try transport(to: [0])
        transport.lose(consumer: 0)
        #expect(transport.consumerCount == 0)
        try transport.add(ConsumerEndpoint(worker: 2, endpoint: "inproc://acknowledged-2"))
        var bytes = Self.batch(marker: 9)
        try transport.send(&bytes, inputs: 0...0)
        let batches = try receivedEventually(at: 2, count: 1)
        #expect(batches.map(\.0) == [9] && batches.map(\.1) == [1])
    }

    @Test func aConsumerHoldingItsShareOfBytesWaitsForAcknowledgementsNotForRoom() throws {
        let context = context
        var waits: [Int] = []
        var transport: AcknowledgedTransport!
        transport = try AcknowledgedTransport(
            consumers: [ConsumerEndpoint(worker: 0, endpoint: "inproc://acknowledged-0")], demandDriven: false,
            connect: { try AcknowledgedTransport.push(context, to: $0, highWaterMark: 0) },
            waitForRoom: { wait in
                // The acknowledgement this wait is for arrives meanwhile.
                waits.append(wait.writable.count + wait.readable.count)
                transport.acknowledge(consumer: 0, upTo: 1) { _ in }
            })
        var batch = Self.batch(marker: 1) + [UInt8](repeating: 7, count: 1 << 20)
        // Placed while under the budget: one more than fits in it, then one that must wait.
        let batches = AcknowledgedTransport.retentionBudget / batch.count + 2
        for input in 0..<batches { try transport.send(&batch, inputs: input...input) }
        #expect(waits == [0], "one wait, on no socket: the queue had room, the budget did not")
        #expect(transport.unacknowledged == batches - 1)
        #expect(try receivedEventually(at: 0, count: batches).count == batches)
    }
}

/// Dispatch by demand over real DEALER → ROUTER connections: a consumer gets only what its
/// window admits, a consumer that grants nothing holds only its window, and a grant opens it.
@Suite("Credit-based dispatch")
struct CreditDispatchTests {
    let context: Context
    let consumers: [Socket]

    init() throws {
        context = try Context()
        consumers = try boundConsumers(context, type: .router, named: "credit", count: 2)
    }

    static func batch(items: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: BatchHeader.size)
        BatchHeader(pipeline: 0, stage: 0, producer: 7, sequence: 0, itemCount: UInt32(items)).write(into: &bytes)
        return bytes + [UInt8](repeating: 0xC0, count: items) + [UInt8](repeating: 0, count: items * BatchHeader.idSize)
    }

    /// (connection, sequence, items) of each batch waiting at consumer `index`, within a second.
    func received(at index: Int, atLeast count: Int) throws -> [(connection: [UInt8], sequence: UInt64, items: Int)] {
        var batches: [([UInt8], UInt64, Int)] = []
        let connection = Message()
        let body = Message()
        let deadline = ContinuousClock.now + .seconds(2)
        repeat {
            while try consumers[index].tryReceive(into: connection) {
                try consumers[index].receive(into: body)
                let header = try body.withUnsafeBytes { try BatchHeader(parsing: $0) }
                batches.append((connection.bytes, header.sequence, Int(header.itemCount)))
            }
        } while batches.count < count && ContinuousClock.now < deadline
        return batches
    }

    func grant(from index: Int, to connection: [UInt8], through sequence: UInt64, window: UInt32) throws {
        try consumers[index].send(connection, flags: .more)
        try consumers[index].send(Credit.encode(Credit.Grant(startedThrough: sequence, window: window)))
    }

    @Test func aConsumerThatStartsNothingHoldsOnlyItsWindowAndTheOtherTakesTheRest() throws {
        let context = context
        var waited = 0
        let transport = try AcknowledgedTransport(
            consumers: (0..<2).map { ConsumerEndpoint(worker: $0, endpoint: "inproc://credit-\($0)") },
            connect: { try AcknowledgedTransport.dealer(context, to: $0, highWaterMark: 0) },
            waitForRoom: { wait in
                waited += 1
                #expect(wait.readable.count == 2, "both are out of credit: wait for a grant")
                throw CancellationError()
            })
        // Before any grant each takes the initial window: 4 batches of half of it fill both.
        let half = Credit.initialWindow / 2
        for _ in 0..<4 {
            var batch = Self.batch(items: half)
            try transport.send(&batch, inputs: 0...0)
        }
        #expect(waited == 0)
        let stuck = try received(at: 0, atLeast: 2)
        let busy = try received(at: 1, atLeast: 2)
        #expect(
            stuck.map(\.items) == [half, half] && busy.map(\.items) == [half, half], "each took its window's worth")
        #expect(transport.queuedItems == 4 * half)
        var fifth = Self.batch(items: half)
        #expect(throws: CancellationError.self) { try transport.send(&fifth, inputs: 0...0) }
        #expect(waited == 1, "with no room anywhere, the producer waits instead of overfilling a queue")

        // Consumer 1 started both and asks for 100 items: the waiting batch and the next go to it.
        try grant(from: 1, to: busy[0].connection, through: 2, window: 100)
        let deadline = ContinuousClock.now + .seconds(2)
        while transport.queuedItems > 2 * half + half, ContinuousClock.now < deadline { transport.readGrants() }
        try transport.drainBacklog()
        for _ in 0..<10 {
            var batch = Self.batch(items: half)
            try transport.send(&batch, inputs: 0...0)
        }
        #expect(try received(at: 1, atLeast: 11).count == 11, "the consumer with room takes everything")
        #expect(
            try received(at: 0, atLeast: 0).isEmpty,
            "the one that started nothing gets nothing more (inproc delivers in order, so it would be there)")
    }

    @Test func aLostConsumersCopiesReachEachOtherConsumerOnceBeforeItsNextBatch() throws {
        let context = context
        let transport = try AcknowledgedTransport(
            consumers: (0..<2).map { ConsumerEndpoint(worker: $0, endpoint: "inproc://credit-\($0)") },
            connect: { try AcknowledgedTransport.dealer(context, to: $0, highWaterMark: 0) },
            waitForRoom: { _ in throw CancellationError() })
        for _ in 0..<2 {
            var batch = Self.batch(items: 1)
            try transport.send(&batch, inputs: 0...0)
        }
        transport.lose(consumer: 1, copies: [5, 6])
        try transport.drainBacklog()
        var later = Self.batch(items: 1)
        try transport.send(&later, inputs: 0...0)
        // What consumer 0 got, in order: "copies [ids]" or "batch SEQUENCE".
        var seen: [String] = []
        let connection = Message()
        let body = Message()
        let deadline = ContinuousClock.now + .seconds(2)
        while seen.count < 4 && ContinuousClock.now < deadline {
            guard try consumers[0].tryReceive(into: connection) else { continue }
            try consumers[0].receive(into: body)
            seen.append(
                try body.withUnsafeBytes { raw in
                    CopiesFrame.isCopies(raw)
                        ? "copies \(try CopiesFrame.ids(of: raw))" : "batch \(try BatchHeader(parsing: raw).sequence)"
                })
        }
        #expect(seen == ["batch 1", "copies [5, 6]", "batch 2", "batch 3"], "the copies come before the replay, once")
    }

    @Test func aBatchLargerThanTheWindowStillGoesToAConsumerWithNothingWaiting() throws {
        let context = context
        let transport = try AcknowledgedTransport(
            consumers: [ConsumerEndpoint(worker: 0, endpoint: "inproc://credit-0")],
            connect: { try AcknowledgedTransport.dealer(context, to: $0, highWaterMark: 0) },
            waitForRoom: { _ in throw CancellationError() })
        var batch = Self.batch(items: 100)
        try transport.send(&batch, inputs: 0...0)
        #expect(try received(at: 0, atLeast: 1).map(\.items) == [100])
    }
}

/// The one producer type: events from other threads wait in its inbox until its driving thread
/// applies them, at its own safe points — including while it waits for room.
@Suite("Producer events")
struct ProducerEventTests {
    let context: Context
    let consumers: [Socket]

    init() throws {
        context = try Context()
        consumers = try boundConsumers(context, type: .pull, named: "producer", count: 2)
    }

    func producer(waitForRoom: @escaping (RoomWait) throws -> Void) throws -> Producer {
        let context = context
        return try Producer(
            consumers: [ConsumerEndpoint(worker: 0, endpoint: "inproc://producer-0")], demandDriven: false,
            connect: { try AcknowledgedTransport.push(context, to: $0, highWaterMark: 0) },
            pipeline: 0, stage: 1, producer: 5, chunkSize: 1, waitForRoom: waitForRoom)
    }

    @Test func eventsFromAnotherThreadWaitForTheDrivingThread() throws {
        let producer = try producer { _ in Issue.record("no wait expected") }
        let delivered = DispatchSemaphore(value: 0)
        Thread {
            producer.deliver(.lost(consumer: 0))
            producer.deliver(.added(ConsumerEndpoint(worker: 1, endpoint: "inproc://producer-1")))
            delivered.signal()
        }.start()
        delivered.wait()
        #expect(producer.hasEvents)
        #expect(producer.transport.consumerCount == 1, "nothing changes until the driving thread applies")
        try producer.applyEvents()
        #expect(!producer.hasEvents)
        try producer.sender.append(42)
        let message = Message()
        #expect(
            waitUntil(timeout: .seconds(5)) { (try? consumers[1].tryReceive(into: message)) == true },
            "the added consumer took it")
    }

    @Test func eventsDeliveredWhileWaitingForRoomAreAppliedWhenTheWaitReturns() throws {
        var waits = 0
        var producer: Producer!
        producer = try self.producer { _ in
            waits += 1
            // Another thread's news arrives during the wait: a replacement consumer.
            producer.deliver(.added(ConsumerEndpoint(worker: 1, endpoint: "inproc://producer-1")))
        }
        producer.deliver(.lost(consumer: 0))
        try producer.applyEvents()
        try producer.sender.append(7)
        #expect(waits == 1, "with no consumer the producer waited once, then the event gave it one")
        let message = Message()
        #expect(waitUntil(timeout: .seconds(5)) { (try? consumers[1].tryReceive(into: message)) == true })
    }
}
