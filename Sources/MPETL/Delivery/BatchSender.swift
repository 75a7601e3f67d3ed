import Dispatch
internal import MessagePack
import ZeroMQ

/// Where a ``BatchSender`` puts a finished batch.
protocol BatchTransport: AnyObject {
    /// Sends `batch` (header, items and ids) or throws to stop. `inputs` are the producing
    /// worker's input batches the items came from (see ``InputLedger``); the bytes may be
    /// changed in place (a transport stamps its own sequence numbers).
    func send(_ batch: inout [UInt8], inputs: ClosedRange<Int>) throws
    /// How many items the next batch may hold when the load sizes batches (see
    /// ``AutomaticBatching``): what the roomiest consumer can take now.
    var batchLimit: Int { get }
}

extension BatchTransport {
    var batchLimit: Int { AutomaticBatching.maximumItems }
}

/// Gathers encoded items and their ids into batches of `chunkSize` (or, for
/// ``AutomaticBatching/automatic``, of what the load calls for) and hands each full batch to its
/// transport.
///
/// Used by workers for their output and their `Pipeline.send` links, and by the driver for its
/// feed. Counters say what left, for stats.
///
/// Its state is touched per item by one thread, never through overlapping accesses, so the
/// per-item properties skip Swift's dynamic exclusivity checks (measured: they cost more than
/// the encoding at chunkSize 1).
final class BatchSender {
    private let transport: (any BatchTransport)?
    @exclusivity(unchecked) private var writer: MessagePackWriter
    @exclusivity(unchecked) private var ids: [UInt64] = []
    @exclusivity(unchecked) private var header: BatchHeader
    /// Whether the load sizes batches; else every batch but the last holds `limit` items.
    let isAutomatic: Bool
    /// Items the current batch may hold.
    @exclusivity(unchecked) private var limit: Int
    /// When the current batch's first item came, in ``DispatchTime`` nanoseconds (automatic only).
    @exclusivity(unchecked) private(set) var pendingSince: UInt64 = 0
    @exclusivity(unchecked) private(set) var batchesSent: UInt64 = 0
    @exclusivity(unchecked) private(set) var itemsSent: UInt64 = 0
    /// The item whose processing emits the next items, and how many it emitted so far.
    @exclusivity(unchecked) private(set) var parentID: UInt64 = ItemID.feed
    @exclusivity(unchecked) private var emitted: UInt64 = 0
    /// The worker's input batch the next items come from.
    @exclusivity(unchecked) var currentInput = 0
    /// The earliest and latest input batches the current partial batch's items came from. A
    /// stage that runs one item at a time emits in input order; one that runs several at once
    /// may finish an earlier input's item after a later one's.
    @exclusivity(unchecked) private(set) var lowestInputOfBatch = 0
    @exclusivity(unchecked) private var highestInputOfBatch = 0
    /// How many of the first items this sender emitted came from inputs that are done: what
    /// a consumer may forget of them (see ``BatchHeader``). Set by a worker whose stage emits
    /// in input order; ``BatchHeader/untracked`` otherwise.
    @exclusivity(unchecked) var settledOutputs = BatchHeader.untracked
    /// Ids of items not to emit: copies of what a lost sibling emitted and the next stage ran
    /// (see ``CopiesFrame``). Each is left out once.
    @exclusivity(unchecked) private var copies: Set<UInt64> = []
    /// Items left out as copies.
    @exclusivity(unchecked) private(set) var copiesLeftOut: UInt64 = 0

    /// - Parameters:
    ///   - transport: where batches go, or nil for a stage that passes nothing on.
    ///   - stage: the stage the batches are for (the receiver's position).
    init(transport: (any BatchTransport)?, pipeline: UInt32, stage: Int, producer: UInt32, chunkSize: Int) {
        self.transport = transport
        isAutomatic = chunkSize == AutomaticBatching.automatic
        limit = isAutomatic ? 1 : max(1, chunkSize)
        header = BatchHeader(
            pipeline: pipeline, stage: UInt16(truncatingIfNeeded: stage),
            producer: producer, sequence: 1, itemCount: 0)
        writer = MessagePackWriter(reservingCapacity: 4096)
        ids.reserveCapacity(isAutomatic ? AutomaticBatching.maximumItems : limit)
        startBatch()
    }

    var pendingItems: Int { Int(header.itemCount) }

    /// Whether each item started checks the linger of a partial batch sized by the load: set by
    /// a worker whose items are slow (or not yet timed), so what earlier items emitted does not
    /// wait behind a long one. Fast items skip the clock; their batch ends soon anyway.
    @exclusivity(unchecked) var checksLingerPerItem = false

    /// Names the item whose processing emits the next values: their ids derive from its id.
    @inline(__always)
    func startItem(id: UInt64) {
        parentID = id
        emitted = 0
    }

    /// Names the next item, first sending what earlier items emitted if it has lingered (when
    /// ``checksLingerPerItem``).
    @inline(__always)
    func startItemFlushingLingering(id: UInt64) throws {
        startItem(id: id)
        if checksLingerPerItem && header.itemCount > 0 {
            try flushIfLingering(now: DispatchTime.now().uptimeNanoseconds)
        }
    }

    /// From now on, leaves out the items with these ids, once each.
    func suppress(_ ids: [UInt64]) {
        copies.formUnion(ids)
    }

    /// Whether the next item is a copy to leave out; if so it counts as emitted (the ids of
    /// the items after it stay what they were the first time).
    @inline(__always)
    private func skipsCopy() -> Bool {
        guard !copies.isEmpty, copies.remove(ItemID.child(of: parentID, index: emitted)) != nil else { return false }
        emitted &+= 1
        copiesLeftOut &+= 1
        return true
    }

    /// Encodes `value` into the current batch, sending the batch when it is full.
    func append<T: Encodable>(_ value: T) throws {
        guard transport != nil, !skipsCopy() else { return }
        do {
            try writer.encode(value)
        } catch let error as MessagePackError {
            // Users catch MPETL's own error type; the codec is not part of MPETL's API.
            throw WireError(error)
        }
        try appended()
    }

    /// Adds one item another thread encoded (an async stage's item, see ``EncodedItems``),
    /// sending the batch when it is full.
    func append(encoded item: UnsafeRawBufferPointer) throws {
        guard transport != nil, !skipsCopy() else { return }
        writer.bytes.append(contentsOf: item)
        try appended()
    }

    /// Counts the item just written, giving it the next id of the current item's lineage.
    @inline(__always)
    private func appended() throws {
        if header.itemCount == 0 {
            startedBatch()
        } else if currentInput != highestInputOfBatch {
            lowestInputOfBatch = min(lowestInputOfBatch, currentInput)
            highestInputOfBatch = max(highestInputOfBatch, currentInput)
        }
        ids.append(ItemID.child(of: parentID, index: emitted))
        emitted &+= 1
        header.itemCount += 1
        if header.itemCount >= limit || (isAutomatic && writer.bytes.count >= AutomaticBatching.maximumBytes) {
            try flush()
        }
    }

    /// The first item of a batch: where it came from, and (sized by the load) how many may
    /// join it and since when it waits.
    private func startedBatch() {
        lowestInputOfBatch = currentInput
        highestInputOfBatch = currentInput
        guard isAutomatic, let transport else { return }
        limit = max(1, min(AutomaticBatching.maximumItems, transport.batchLimit))
        pendingSince = DispatchTime.now().uptimeNanoseconds
    }

    /// Sends a batch sized by the load whose first item has waited ``AutomaticBatching/lingerNanoseconds``.
    func flushIfLingering(now: UInt64) throws {
        guard isAutomatic, header.itemCount > 0, now &- pendingSince >= AutomaticBatching.lingerNanoseconds else {
            return
        }
        try flush()
    }

    /// Sends the current batch if it holds any item.
    func flush() throws {
        guard let transport, header.itemCount > 0 else { return }
        header.firstOutput = itemsSent
        header.settled = settledOutputs
        header.write(into: &writer.bytes)
        #if _endian(little)
            // In memory the ids already are the wire's little-endian u64s: one copy for all.
            ids.withUnsafeBytes { writer.bytes.append(contentsOf: $0) }
        #else
            for id in ids { withUnsafeBytes(of: id.littleEndian) { writer.bytes.append(contentsOf: $0) } }
        #endif
        try transport.send(&writer.bytes, inputs: lowestInputOfBatch...highestInputOfBatch)
        batchesSent += 1
        itemsSent += UInt64(header.itemCount)
        header.sequence += 1
        header.itemCount = 0
        startBatch()
    }

    /// Empties the batch but for the header's room (rewritten by the next flush).
    private func startBatch() {
        if writer.bytes.count >= BatchHeader.size {
            writer.bytes.removeLast(writer.bytes.count - BatchHeader.size)
        } else {
            writer.bytes.append(contentsOf: repeatElement(0, count: BatchHeader.size - writer.bytes.count))
        }
        ids.removeAll(keepingCapacity: true)
    }
}

/// One PUSH, connected to every worker of the receiving stage, sharing batches the way libzmq
/// does: for `Pipeline.send` links, which are counted, not acknowledged.
final class LinkTransport: BatchTransport {
    private let socket: Socket
    /// Called when the socket cannot take a batch now; returns when it may, or throws to stop.
    private let waitForRoom: (Socket) throws -> Void

    init(socket: Socket, waitForRoom: @escaping (Socket) throws -> Void) {
        self.socket = socket
        self.waitForRoom = waitForRoom
    }

    func send(_ batch: inout [UInt8], inputs: ClosedRange<Int>) throws {
        try batch.withUnsafeBytes { bytes in
            while try !socket.trySend(bytes) {
                try waitForRoom(socket)
            }
        }
    }
}
