/// A worker's input batches until each is *done*: processed, and every batch it produced
/// acknowledged by the next stage. Only then may its producer forget it.
///
/// Acknowledging a batch on processing alone would lose its outputs when this worker died with
/// them still queued; acknowledging on receipt would lose it if the next worker died. Waiting
/// for the next stage's acknowledgement makes the chain transitive: when the driver's last feed
/// batch is acknowledged, every item has reached the end.
///
/// Inputs are numbered in the order they arrive. An output batch holds items of a contiguous
/// run of inputs, so the done inputs are always a prefix; acknowledgements are cumulative, per
/// producer, by the producer's sequence number.
struct InputLedger {
    private struct Entry {
        var producer: UInt32
        var sequence: UInt64
        var processed = false
        /// Output batches holding items of this input, sent and not yet acknowledged.
        var outstanding = 0
        /// Its items, and the items they produced.
        var items: UInt64 = 0
        var outputs: UInt64 = 0
    }

    /// Whether a batch may be processed, by its place in its producer's sequence.
    enum Admission: Equatable {
        case admitted(input: Int)
        /// Already seen (or forged): drop it.
        case repeated(expected: UInt64)
        /// Earlier batches never arrived: the connection lost them.
        case gap(expected: UInt64)
    }

    private var entries = FIFO<Entry>()
    /// The sequence number expected next from each producer (links: one past the last seen).
    private var expected = ProducerSequences()
    /// The number of the first entry still held.
    private var firstHeld = 0
    /// The number the next input gets.
    private(set) var nextInput = 0
    /// What to acknowledge to each producer: the last done sequence.
    private(set) var done = ProducerSequences()
    /// Done batches per counted `Pipeline.send` link (from another program), whose producers
    /// count instead of keeping batches.
    private(set) var doneThroughLinks: [UInt32: UInt64] = [:]
    /// Whether `done` changed since ``markReported()``.
    private(set) var hasNews = false
    /// Items of the done inputs, and the items they produced.
    private(set) var doneItems: UInt64 = 0
    private(set) var doneOutputs: UInt64 = 0
    /// The done inputs' items per producer: a lost worker's share of a lost producer's
    /// outputs, when both were lost (see `WorkerCounters.itemsFrom`).
    private(set) var doneItemsFrom = ProducerTally()

    /// Checks an arriving batch's sequence number and records it if it is the next. A counted
    /// `Pipeline.send` link (from another program) shares one numbering among the first
    /// stage's workers, so from one of those only an increase is required.
    mutating func admit(producer: UInt32, sequence: UInt64, items: UInt64 = 0) -> Admission {
        switch expected.take(sequence, from: producer, allowingGaps: SendLink.isCounted(producer)) {
        case .expected: break
        case .repeated(let next): return .repeated(expected: next)
        case .gap(let next): return .gap(expected: next)
        }
        entries.append(Entry(producer: producer, sequence: sequence, items: items))
        nextInput += 1
        return .admitted(input: nextInput - 1)
    }

    /// The input ran (or was refused as malformed: running it again would not help).
    mutating func processed(_ input: Int) {
        if input >= firstHeld { entries[input - firstHeld].processed = true }
    }

    /// `input` produced `count` more items.
    mutating func produced(_ count: UInt64, by input: Int) {
        if input >= firstHeld && input < nextInput { entries[input - firstHeld].outputs &+= count }
    }

    /// An output batch with items of `inputs` left.
    mutating func sent(_ inputs: ClosedRange<Int>) {
        for input in inputs where input >= firstHeld && input < nextInput {
            entries[input - firstHeld].outstanding += 1
        }
    }

    /// An output batch with items of `inputs` was acknowledged.
    mutating func acknowledged(_ inputs: ClosedRange<Int>) {
        for input in inputs where input >= firstHeld && input < nextInput {
            entries[input - firstHeld].outstanding -= 1
        }
    }

    /// Moves the done prefix to the acknowledgements. Inputs from `pendingFrom` on still have
    /// items in a partial output batch, so they are not done.
    mutating func settle(pendingFrom: Int?) {
        let limit = pendingFrom ?? nextInput
        while let entry = entries.first, firstHeld < limit, entry.processed, entry.outstanding <= 0 {
            entries.removeFirst()
            firstHeld += 1
            doneItems &+= entry.items
            doneOutputs &+= entry.outputs
            doneItemsFrom.add(entry.items, from: entry.producer)
            if SendLink.isCounted(entry.producer) {
                doneThroughLinks[entry.producer, default: 0] += 1
            } else {
                done[entry.producer] = entry.sequence
            }
            hasNews = true
        }
    }

    mutating func markReported() { hasNews = false }

    /// Whether an input from `producer` is not done yet (a scan: asked only after a loss).
    func holdsInput(from producer: UInt32) -> Bool {
        entries.elements.contains { $0.producer == producer }
    }
}
