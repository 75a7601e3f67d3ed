import Foundation
import ZeroMQ

/// The driver's PUSH into stage 0, batching fed items by stage 0's chunk size.
///
/// Safe to call from any thread: every use of the socket happens while holding `lock`.
final class Feeder: @unchecked Sendable {
    private let lock = NSLock()
    private let socket: Socket
    private let sender: BatchSender
    private var closed = false

    init(context: Context, run: PipelineRun, endpoints: [String], ordinal: UInt32,
         chunkSize: Int, highWaterMark: Int) throws {
        let socket = try ClusterSecurity.socket(context, type: .push, role: .client)
        if highWaterMark > 0 { try socket.setSendHighWaterMark(highWaterMark) }
        try socket.setLinger(milliseconds: 0)
        try socket.connect(endpoints, waitingUpTo: 30_000)
        self.socket = socket
        sender = BatchSender(socket: socket, pipeline: ordinal, stage: 0, producer: BatchHeader.driverProducer,
                             chunkSize: chunkSize) { socket in
            // Stage 0 is full: wait for room, but notice a failed pipeline instead of waiting forever.
            let poller = Poller()
            poller.add(socket, events: .writable)
            while try poller.poll(timeoutMilliseconds: 100) == 0 {
                if let failure = run.failure { throw failure }
            }
        }
    }

    /// Whether `close()` has been called.
    var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Encodes and queues one item. - Throws: ``PipelineError/Code/feedClosed`` after close.
    func feed<Item: Encodable>(_ items: some Sequence<Item>, label: String) throws {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else {
            throw PipelineError(code: .feedClosed, pipeline: label,
                                reason: "feed was called after join() or asCompleted() closed the feed; feed every item before joining, or start a new Pipeline")
        }
        for item in items { try sender.append(item) }
    }

    /// Sends the partial batch and closes the feed; returns how many batches and items went out.
    func close() throws -> (batches: UInt64, items: UInt64)? {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return nil }
        closed = true
        try sender.flush()
        return (sender.batchesSent, sender.itemsSent)
    }
}
