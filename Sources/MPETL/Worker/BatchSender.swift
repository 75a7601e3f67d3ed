import ZeroMQ

/// Gathers encoded items into batches of `chunkSize` and pushes each full batch downstream.
///
/// Used by workers for their output and by the driver to feed stage 0. Every batch carries a
/// header with a per-producer sequence number; counters say what left, for end-of-stream
/// accounting.
final class BatchSender {
    private let socket: Socket?
    private var writer: MessagePackWriter
    private var header: BatchHeader
    private let chunkSize: Int
    /// Called when the socket cannot take a batch now; returns when it may, or throws to stop.
    private let waitForRoom: (Socket) throws -> Void
    private(set) var batchesSent: UInt64 = 0
    private(set) var itemsSent: UInt64 = 0

    /// - Parameters:
    ///   - socket: a connected PUSH, or nil for a stage that passes nothing on.
    ///   - stage: the stage the batches are for (the receiver's position).
    init(socket: Socket?, pipeline: UInt32, stage: Int, producer: UInt32, chunkSize: Int,
         waitForRoom: @escaping (Socket) throws -> Void) {
        self.socket = socket
        self.chunkSize = max(1, chunkSize)
        self.waitForRoom = waitForRoom
        header = BatchHeader(pipeline: pipeline, stage: UInt16(truncatingIfNeeded: stage),
                             producer: producer, sequence: 0, itemCount: 0)
        writer = MessagePackWriter(reservingCapacity: 4096)
        startBatch()
    }

    var pendingItems: Int { Int(header.itemCount) }

    /// Encodes `value` into the current batch, sending the batch when it is full.
    func append<T: Encodable>(_ value: T) throws {
        guard socket != nil else { return }
        try writer.encode(value)
        header.itemCount += 1
        if header.itemCount >= chunkSize { try flush() }
    }

    /// Sends the current batch if it holds any item.
    func flush() throws {
        guard let socket, header.itemCount > 0 else { return }
        header.write(into: &writer.bytes)
        try writer.bytes.withUnsafeBytes { batch in
            while try !socket.trySend(batch) {
                try waitForRoom(socket)
            }
        }
        batchesSent += 1
        itemsSent += UInt64(header.itemCount)
        header.sequence += 1
        header.itemCount = 0
        startBatch()
    }

    private func startBatch() {
        writer.removeAll()
        writer.bytes.append(contentsOf: repeatElement(0, count: BatchHeader.size))
    }
}
