/// Items counted per producer, for a worker with a handful of producers: two short arrays
/// searched from the producer counted last, which costs less per batch than hashing (every
/// batch adds to it, and at `chunkSize` 1 that is every item).
struct ProducerTally: Equatable, Sendable {
    private var producers: [UInt32] = []
    private var counts: [UInt64] = []
    private var last = 0

    mutating func add(_ items: UInt64, from producer: UInt32) {
        if last < producers.count, producers[last] == producer {
            counts[last] &+= items
        } else if let index = producers.firstIndex(of: producer) {
            last = index
            counts[index] &+= items
        } else {
            producers.append(producer)
            counts.append(items)
            last = producers.count - 1
        }
    }

    /// The counts as the wire carries them.
    var byProducer: [UInt32: UInt64] {
        Dictionary(zip(producers, counts), uniquingKeysWith: +)
    }
}
