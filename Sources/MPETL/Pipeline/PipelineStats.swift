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
    /// One entry per stage in execution order.
    public var stages: [StageStats]
    /// Where the pipeline is in its life.
    public var state: State = .running
    /// Why it failed, when it did.
    public var failure: String?
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
    /// Batches sent to this stage that its workers have not finished yet, as last reported.
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

    /// Total worker processes.
    public var workers: Int { workersPerHost.values.reduce(0, +) }
}
