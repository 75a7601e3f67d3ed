/// The batches a producer sent one consumer and keeps until they are acknowledged.
///
/// Small batches sit back to back in one byte buffer, so keeping one costs a copy but no
/// allocation (at chunkSize 1 a batch is a few dozen bytes); a large one gets its own array,
/// which costs less than moving it around in a shared buffer.
struct RetainedBatches {
    /// Plain values only, so queueing one costs no reference counting.
    struct Entry {
        var sequence: UInt64
        /// Where the batch starts in the shared buffer, counted from the first byte ever kept
        /// there; unused when the batch has its own array.
        var start: Int
        var count: Int
        var inputs: ClosedRange<Int>
        /// Whether the batch is the next of `large` instead of in the shared buffer.
        var isLarge: Bool
    }

    /// Batches at least this long get their own array.
    static let ownArrayThreshold = 4096

    private var bytes: [UInt8] = []
    /// The position of `bytes[0]` in the count of bytes ever kept in the shared buffer.
    private var base = 0
    private var entries = FIFO<Entry>()
    /// The large batches, in order.
    private var large = FIFO<[UInt8]>()
    /// Bytes of all batches kept.
    private(set) var byteCount = 0

    var count: Int { entries.count }
    var first: Entry? { entries.first }

    mutating func append(sequence: UInt64, _ batch: UnsafeRawBufferPointer, inputs: ClosedRange<Int>) {
        byteCount += batch.count
        if batch.count >= Self.ownArrayThreshold {
            entries.append(Entry(sequence: sequence, start: 0, count: batch.count, inputs: inputs, isLarge: true))
            large.append(Array(batch))
            return
        }
        entries.append(
            Entry(sequence: sequence, start: base + bytes.count, count: batch.count, inputs: inputs, isLarge: false))
        bytes.append(contentsOf: batch)
    }

    mutating func removeFirst() {
        let removed = entries.removeFirst()
        byteCount -= removed.count
        guard !removed.isLarge else {
            large.removeFirst()
            return
        }
        // Batches leave in the order they came, so everything in the shared buffer up to the
        // end of this one is acknowledged.
        let dead = removed.start + removed.count - base
        if dead == bytes.count {
            base += bytes.count
            bytes.removeAll(keepingCapacity: bytes.capacity <= 1 << 20)
        } else if dead >= 1 << 16, dead * 2 >= bytes.count {
            // Once the acknowledged front is most of the buffer, so memory follows what is kept.
            bytes.removeFirst(dead)
            base += dead
        }
    }

    /// Empties the store, returning each batch's bytes and inputs in order.
    mutating func removeAll() -> [(bytes: [UInt8], inputs: ClosedRange<Int>)] {
        let taken = entries.removeAll().map { entry in
            (
                entry.isLarge
                    ? large.removeFirst() : Array(bytes[(entry.start - base)..<(entry.start - base + entry.count)]),
                entry.inputs
            )
        }
        base += bytes.count
        bytes.removeAll()
        byteCount = 0
        return taken
    }
}
