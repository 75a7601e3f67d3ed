import Foundation
import ZeroMQ

/// The driver's PUSH into stage 0, batching fed items by stage 0's chunk size.
///
/// Safe to call from any thread: every use of the sender happens while holding `lock`.
final class Feeder: @unchecked Sendable {
    private let lock = NSLock()
    private let sender: BatchSender
    private var closed = false

    init(context: Context, run: PipelineRun, endpoints: [String], ordinal: UInt32,
         chunkSize: Int, highWaterMark: Int) throws {
        sender = try .intoFirstStage(context: context, endpoints: endpoints, highWaterMark: highWaterMark,
                                     pipeline: ordinal, producer: BatchHeader.driverProducer, chunkSize: chunkSize) {
            run.failure
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
