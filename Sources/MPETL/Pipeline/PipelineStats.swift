/// A snapshot of a pipeline's progress, stage by stage.
///
/// ```swift
/// for stage in try pipeline.stats().stages {
///     print(stage.label, stage.itemsIn, stage.itemsOut, stage.queueDepth)
/// }
/// ```
public struct PipelineStats: Codable, Equatable, Sendable {
    /// Where a pipeline is in its life.
    public enum State: String, Codable, Sendable {
        case starting, running, failing, finished, failed
    }

    /// The pipeline's name, or `pipeline #N`.
    public var pipeline: String
    /// The run's id, `HOST:PID:N`: unique among the pipelines a coordinator has seen, where two
    /// programs may each run a `pipeline #0` (nil from an older coordinator).
    public var id: String?
    /// One entry per stage in execution order.
    public var stages: [StageStats]
    /// Where the pipeline is in its life.
    public var state: State = .running
    /// Why it failed, when it did, as `join()` says it: the stage, worker and item, then the reason.
    public var failure: String?
    /// Seconds since the pipeline was registered with its coordinator (0 when not known).
    public var elapsedSeconds: Double = 0
    /// Items the program fed so far.
    public var itemsFed: UInt64 = 0
    /// Items the program said it will feed: the count of a collection given to
    /// `feed(contentsOf:)`, or ``Pipeline/expect(items:)``; nil when not known.
    public var expectedItems: UInt64?
}

/// One stage's counters, summed over its workers.
public struct StageStats: Codable, Equatable, Sendable {
    /// The stage, e.g. `task 1 (String -> String)`.
    public var label: String
    /// Worker processes running the stage, per host name.
    public var workersPerHost: [String: Int]
    /// Items the stage's workers have finished.
    public var itemsIn: UInt64
    /// Items the stage passed on.
    public var itemsOut: UInt64
    /// Items sent to this stage that its workers have not finished yet, as last reported:
    /// waiting in queues, or held by a worker that has not started them. (For the first stage,
    /// `stats()` counts what the driver fed so far.)
    public var queueDepth: UInt64
    /// Items whose body threw.
    public var errors: UInt64
    /// Malformed messages its workers dropped.
    public var malformed: UInt64
    /// Batches its workers finished.
    public var batches: UInt64 = 0
    /// Time its workers spent running the stage body on those batches, in seconds.
    public var busySeconds: Double = 0
    /// Workers that died mid-stream: their unacknowledged batches were replayed to the others,
    /// and replacements started.
    public var workersLost: Int = 0
    /// Items a worker of this stage has been running for a second or more: a stuck or slow item
    /// and who holds it. (A stage with a `timeout:` ends such items once they pass it.)
    public var longRunning: [LongRunningItem] = []
    /// Items run again because a worker was lost, counted here and not in ``itemsIn``: what
    /// this stage's lost workers had run and not finished (their batches were replayed to the
    /// others), and any copies of a lost producer's outputs its replay brought to this stage.
    ///
    /// A replay normally brings no copies: it leaves out what the next stage already ran of
    /// the lost worker's outputs (see the README's *Errors*), so a finished stage's
    /// ``itemsIn`` and ``itemsOut`` are exact in every stage. Copies do run in the stage after
    /// a loss when the lost worker's stage has `concurrency:`, or when a worker of that next
    /// stage is lost too before it answered; they are counted here, but what they produced
    /// counts in this stage's ``itemsOut`` and in the items of the stages after.
    public var replayed: UInt64 = 0
    /// The same counters per host, so each host's share of the work shows.
    public var hosts: [HostStats] = []

    /// Total worker processes.
    public var workers: Int { workersPerHost.values.reduce(0, +) }
}

/// One host's share of a stage's work.
///
/// ```swift
/// for host in try pipeline.stats().stages.flatMap(\.hosts) {
///     print(host.host, host.workers, host.itemsIn, host.busySeconds)
/// }
/// ```
public struct HostStats: Codable, Equatable, Sendable {
    /// The host's name (`MPETL_HOST`, or the system's host name).
    public var host: String
    /// Worker processes of the stage running there now.
    public var workers: Int
    /// Items its workers finished (a lost worker's count only what was not replayed). Copies a
    /// replay brought are taken from the hosts that ran a lost producer's outputs in
    /// proportion to what each ran of them: the stage's total is exact, the split estimated.
    public var itemsIn: UInt64
    /// Items they passed on.
    public var itemsOut: UInt64
    /// Time they spent in the stage body, in seconds.
    public var busySeconds: Double
    /// Its workers that died mid-stream.
    public var workersLost: Int
}

/// An item a worker has been running for a while.
///
/// ```swift
/// for long in try pipeline.stats().stages.flatMap(\.longRunning) {
///     print("worker \(long.pid) on \(long.host) has run \(long.item) for \(long.seconds) s")
/// }
/// ```
public struct LongRunningItem: Codable, Equatable, Sendable {
    /// The worker process running it.
    public var pid: Int32
    /// That worker's host.
    public var host: String
    /// A description of the item, as errors give it; its lineage id when the stage's items are
    /// fast (under a millisecond each, so not described one by one).
    public var item: String
    /// How long it has been running, in seconds, when the stats were taken (at least this long).
    public var seconds: Double
}
