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
                if let newValue { sequences[index] = newValue } else {
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
