/// Sequence numbers by producer id. A stage has few producers, so a linear scan of two small
/// arrays beats hashing on the per-batch path.
struct ProducerSequences: Equatable {
    private var producers: [UInt32] = []
    private var sequences: [UInt64] = []

    subscript(producer: UInt32) -> UInt64? {
        get {
            for index in producers.indices where producers[index] == producer { return sequences[index] }
            return nil
        }
        set {
            if let index = producers.firstIndex(of: producer) {
                if let newValue {
                    sequences[index] = newValue
                } else {
                    producers.remove(at: index)
                    sequences.remove(at: index)
                }
            } else if let newValue {
                producers.append(producer)
                sequences.append(newValue)
            }
        }
    }

    var dictionary: [UInt32: UInt64] { Dictionary(uniqueKeysWithValues: zip(producers, sequences)) }
}

/// Where an arriving batch stands in its producer's numbering.
enum SequencePlace: Equatable {
    /// The one expected (or, in a numbering shared with other receivers, a later one).
    case expected
    /// Already seen, or forged: drop it.
    case repeated(expected: UInt64)
    /// Earlier batches never arrived: the connection lost them.
    case gap(expected: UInt64)
}

extension ProducerSequences {
    /// Checks `sequence` against the number expected next from `producer` (1 at first) and, if
    /// the batch may be taken, expects the one after it. A connection numbers its batches 1,
    /// 2, 3…; with `allowingGaps`, for a numbering the producer shares among several
    /// receivers, only an increase is required.
    mutating func take(_ sequence: UInt64, from producer: UInt32, allowingGaps: Bool = false) -> SequencePlace {
        let next = self[producer] ?? 1
        if sequence < next { return .repeated(expected: next) }
        if sequence > next && !allowingGaps { return .gap(expected: next) }
        self[producer] = sequence + 1
        return .expected
    }
}
