internal import MessagePack

/// What the driver's results collector knows about the batches it received: the last
/// sequence number from each last-stage worker (to acknowledge, on receipt), and, once a
/// worker was lost, the ids of results already kept, to drop the copies a replay brings.
struct ResultReceipts {
    enum Outcome {
        /// Kept; `results` is the batch to keep, nil when every item was a copy.
        case accepted(results: [UInt8]?)
        case malformed(String)
        /// Batches of a producer never arrived: results are missing.
        case lostBatches(String)
    }

    /// Set once any worker was lost: only replays bring copies, and only after a loss.
    var dropsDuplicates = false
    /// Ids of every result kept, recorded from the start, since a copy may arrive after its
    /// original: a plain array (8 bytes each) while nothing was lost, and a set, for lookups,
    /// from the first batch after a loss. A hash set of a million ids would cost 17-34 MB
    /// through a run that never needs it.
    private var recorded: [UInt64] = []
    private var seen: Set<UInt64>?
    private var expected = ProducerSequences()
    private var done = ProducerSequences()
    private var hasNews = false
    private var lastReport = ContinuousClock.now

    /// The shortest gap between two acknowledgements: short, since the end of a run waits for
    /// the last one to travel back through every stage.
    static let reportInterval: Duration = .milliseconds(2)

    /// When the next acknowledgement is due, if there is news.
    var nextReport: ContinuousClock.Instant? { hasNews ? lastReport + Self.reportInterval : nil }

    /// Takes the acknowledgements to send.
    mutating func takeReport(now: ContinuousClock.Instant) -> [UInt32: UInt64] {
        hasNews = false
        lastReport = now
        return done.dictionary
    }

    /// Checks a batch's place in its producer's sequence, records its ids, and returns what of
    /// it to keep.
    mutating func receive(_ header: BatchHeader, _ bytes: UnsafeRawBufferPointer) -> Outcome {
        switch expected.take(header.sequence, from: header.producer) {
        case .expected: break
        case .repeated:
            return .malformed("producer \(header.producer) already sent batch \(header.sequence)")
        case .gap(let next):
            return .lostBatches(
                "batches \(next)…\(header.sequence - 1) of stage worker \(header.producer) never arrived")
        }
        let ids = header.ids(of: bytes)
        let count = Int(header.itemCount)
        var fresh: [Bool] = []
        if dropsDuplicates {
            // Moved out and back, so inserting never copies the set.
            var lookup = seen ?? Set(recorded)
            seen = nil
            recorded = []
            fresh = (0..<count).map { lookup.insert(BatchHeader.id($0, in: ids)).inserted }
            seen = lookup
        } else {
            for index in 0..<count { recorded.append(BatchHeader.id(index, in: ids)) }
        }
        done[header.producer] = header.sequence
        hasNews = true
        guard dropsDuplicates, fresh.contains(false) else { return .accepted(results: Array(bytes)) }
        guard fresh.contains(true) else { return .accepted(results: nil) }
        return .accepted(results: Self.keeping(fresh, of: header, bytes))
    }

    /// A copy of the batch with only the items `keep` marks: header, items, ids.
    private static func keeping(_ keep: [Bool], of header: BatchHeader, _ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let items = header.items(of: bytes)
        let ids = header.ids(of: bytes)
        var reader = MessagePackReader(items)
        var kept: [UInt8] = Array(repeating: 0, count: BatchHeader.size)
        var keptIDs: [UInt8] = []
        var count: UInt32 = 0
        for index in keep.indices {
            let start = reader.offset
            // The batch parsed as a results batch; an item that does not is dropped with the rest.
            guard (try? reader.skipValue()) != nil else { break }
            guard keep[index] else { continue }
            kept.append(contentsOf: items[start..<reader.offset])
            keptIDs.append(contentsOf: ids[(index * BatchHeader.idSize)..<((index + 1) * BatchHeader.idSize)])
            count += 1
        }
        var trimmed = header
        trimmed.itemCount = count
        trimmed.write(into: &kept)
        return kept + keptIDs
    }
}
