/// The ids of the items a consumer ran from each producer that a replay could still bring
/// again: those its producer emitted from its `settled` count on (see ``BatchHeader``).
///
/// If the producer dies, its unfinished inputs are replayed to its siblings, which emit again
/// everything it had emitted from them. The items of those that this worker already ran are
/// the *originals*; their ids, sent back through the coordinator, let the siblings leave the
/// copies out (``CopiesFrame``), so nothing after this stage runs twice. A producer's first
/// `settled` items came from inputs that are done and are never replayed, so what lies below
/// the latest `settled` a batch carried is forgotten: what is kept is bounded by the producer's
/// unfinished work, not by the run. An input that makes millions of items (an origin reading a
/// large file) settles only when all of them are done, so the ids kept are capped too
/// (``maximumIDs``, 8 bytes each): past that the oldest go, and if the producer dies their
/// copies run again, counted apart as before (nothing is lost either way).
struct UnsettledItems {
    /// Ids kept over all producers: 2 Mi ids, 16 MiB, shared evenly (at least 64 Ki each).
    static let maximumIDs = 2 << 20

    fileprivate struct Batch {
        var firstOutput: UInt64
        var count: Int
    }

    fileprivate struct Stream {
        var batches = FIFO<Batch>()
        /// The batches' ids, one after another.
        var ids = FIFO<UInt64>()
        /// The highest `settled` seen (a replayed batch carries an older one).
        var settled: UInt64 = 0
    }

    // Searched like ``ProducerTally``: every batch looks here, and hashing costs more.
    private var producers: [UInt32] = []
    private var streams: [Stream] = []
    private var last = 0

    /// Keeps the ids of a batch from a producer that tracks what it emitted.
    mutating func record(_ header: BatchHeader, ids: UnsafeRawBufferPointer) {
        guard header.settled != BatchHeader.untracked, header.itemCount > 0 else { return }
        if last >= producers.count || producers[last] != header.producer {
            if let index = producers.firstIndex(of: header.producer) {
                last = index
            } else {
                producers.append(header.producer)
                streams.append(Stream())
                last = producers.count - 1
            }
        }
        streams[last].record(header, ids: ids, limit: max(64 << 10, Self.maximumIDs / producers.count))
    }

    /// The ids of the items from `producer` that it emitted from `settled` on; forgets that
    /// producer.
    mutating func originals(from producer: UInt32, emittedFrom settled: UInt64) -> [UInt64] {
        guard let index = producers.firstIndex(of: producer) else { return [] }
        var stream = streams.remove(at: index)
        producers.remove(at: index)
        last = 0
        var originals: [UInt64] = []
        while !stream.batches.isEmpty {
            let batch = stream.batches.removeFirst()
            for index in 0..<batch.count {
                let id = stream.ids.removeFirst()
                if batch.firstOutput + UInt64(index) >= settled { originals.append(id) }
            }
        }
        return originals
    }

    /// Ids kept, over all producers.
    var count: Int { streams.reduce(0) { $0 + $1.ids.count } }
}

extension UnsettledItems.Stream {
    fileprivate mutating func record(_ header: BatchHeader, ids batchIDs: UnsafeRawBufferPointer, limit: Int) {
        // Forget what the producer has settled since: whole batches below the mark (one that
        // straddles it stays; its settled items are filtered out when asked).
        settled = max(settled, header.settled)
        while let first = batches.first, first.firstOutput + UInt64(first.count) <= settled || ids.count > limit {
            batches.removeFirst()
            for _ in 0..<first.count { ids.removeFirst() }
        }
        batches.append(.init(firstOutput: header.firstOutput, count: Int(header.itemCount)))
        for index in 0..<Int(header.itemCount) { ids.append(BatchHeader.id(index, in: batchIDs)) }
    }
}
