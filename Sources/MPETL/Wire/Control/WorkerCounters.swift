/// Counters a worker (or the driver's results collector) reports about its stage.
struct WorkerCounters: Codable, Equatable, Sendable {
    var batchesIn: UInt64 = 0
    var itemsIn: UInt64 = 0
    var batchesOut: UInt64 = 0
    var itemsOut: UInt64 = 0
    var errors: UInt64 = 0
    var malformed: UInt64 = 0
    /// Time spent running the stage on batches, for the batch-duration metric.
    var busyNanoseconds: UInt64 = 0
    /// Batches this process pushed through each `Pipeline.send` link it opened, by producer id.
    var sends: [UInt32: UInt64] = [:]
    /// Batches a first-stage worker finished (processed, outputs acknowledged) from each
    /// `Pipeline.send` link, by producer id.
    var fromSenders: [UInt32: UInt64] = [:]
    /// Items of input batches that are done (processed, and what they produced acknowledged),
    /// and the items those produced: what a lost worker's counts keep, since the rest is
    /// replayed and counted again by the workers that run it. Absent from older workers.
    var itemsDone: UInt64?
    var itemsOutDone: UInt64?
    /// Items run from each producer (a worker of the stage before, by worker number): after a
    /// producer is lost, what this stage ran of its outputs beyond the ones it had done are
    /// copies its replay brings again, and the stage's totals count them apart.
    var itemsFrom: [UInt32: UInt64]?
    /// Of those, the items of done inputs: what a lost worker keeps of them.
    var itemsDoneFrom: [UInt32: UInt64]?
    /// The results collector's count of results kept: copies a replay brought are dropped.
    var resultsKept: UInt64?
}

extension WorkerCounters {
    /// Counts one processed batch: one update of the counters instead of three.
    mutating func countBatch(items: UInt32, busyNanoseconds busy: UInt64) {
        busyNanoseconds &+= busy
        batchesIn += 1
        itemsIn += UInt64(items)
    }
}

/// A worker's items done and the items they produced, as of an acknowledgement.
struct DoneItems: Codable, Equatable, Sendable {
    var items: UInt64
    var outputs: UInt64
    /// Items the worker had run by then, done or not, and the items it had passed on: the
    /// stage's figures then move together between progress reports.
    var processed: UInt64? = nil
    var sent: UInt64? = nil
    /// The done items per producer (``WorkerCounters/itemsDoneFrom``).
    var from: [UInt32: UInt64]? = nil
}
