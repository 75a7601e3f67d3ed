/// The batches a producer sent one consumer and keeps until they are acknowledged, back to
/// back in one byte buffer, so keeping a batch costs a copy but no allocation.
struct RetainedBatches {
    struct Entry {
        var sequence: UInt64
        /// Where the batch starts, counted from the first byte ever kept.
        var start: Int
        var count: Int
        var inputs: ClosedRange<Int>
    }

    private var bytes: [UInt8] = []
    /// The position of `bytes[0]` in the count of bytes ever kept.
    private var base = 0
    private var entries = FIFO<Entry>()

    var count: Int { entries.count }
    var first: Entry? { entries.first }

    mutating func append(sequence: UInt64, _ batch: UnsafeRawBufferPointer, inputs: ClosedRange<Int>) {
        entries.append(Entry(sequence: sequence, start: base + bytes.count, count: batch.count, inputs: inputs))
        bytes.append(contentsOf: batch)
    }

    mutating func removeFirst() {
        entries.removeFirst()
        guard let next = entries.first else {
            base += bytes.count
            bytes.removeAll(keepingCapacity: bytes.capacity <= 1 << 20)
            return
        }
        // Drop the acknowledged front once it is most of the buffer, so memory follows what is kept.
        let dead = next.start - base
        if dead >= 1 << 16, dead * 2 >= bytes.count {
            bytes.removeFirst(dead)
            base = next.start
        }
    }

    /// Empties the store, returning each batch's bytes and inputs in order.
    mutating func removeAll() -> [(bytes: [UInt8], inputs: ClosedRange<Int>)] {
        let taken = entries.removeAll().map { entry in
            (Array(bytes[(entry.start - base)..<(entry.start - base + entry.count)]), entry.inputs)
        }
        base += bytes.count
        bytes.removeAll()
        return taken
    }
}
