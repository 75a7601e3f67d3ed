/// What a person watching a run wants to know at a glance, per pipeline, stage and host: how far
/// along it is, when it will end, which stage limits it, and whether every host pulls its
/// weight. The one model behind the terminal's progress lines and the dashboard; made from the
/// coordinator's counters by ``ProgressTracker``.
package struct RunProgress: Codable, Equatable, Sendable {
    package var pipelines: [PipelineProgress]

    package init(pipelines: [PipelineProgress]) {
        self.pipelines = pipelines
    }
}

/// One pipeline's progress.
package struct PipelineProgress: Codable, Equatable, Sendable {
    package var name: String
    package var state: PipelineStats.State
    package var failure: String?
    /// Since the pipeline started, in seconds.
    package var elapsedSeconds: Double
    /// Items the program fed so far.
    package var fed: UInt64
    /// Items that passed the last stage.
    package var finished: UInt64
    /// Items the program said it will feed (a collection's count, or ``Pipeline/expect(items:)``).
    package var expected: UInt64?
    /// `finished` over `expected`, 0...1, when that is known.
    package var fraction: Double?
    /// Seconds until `expected` items have finished at the current smoothed rate.
    package var etaSeconds: Double?
    /// Items finishing per second, smoothed.
    package var rate: Double
    package var stages: [StageProgress]
    package var hosts: [HostProgress]
}

/// One stage's progress.
package struct StageProgress: Codable, Equatable, Sendable {
    package var name: String
    /// Items its workers finished (exact: a lost worker's unfinished batches count once, when
    /// replayed).
    package var items: UInt64
    package var itemsOut: UInt64
    /// Items finished per second, smoothed.
    package var rate: Double
    /// How busy its workers are: time in the stage body over wall time, per worker, 0...1,
    /// smoothed.
    package var busyShare: Double
    /// Items sent to it and not finished yet.
    package var queue: UInt64
    package var errors: UInt64
    package var workers: Int
    package var workersLost: Int
    /// Items a lost worker had run whose batches were replayed to others (not in `items`).
    package var replayed: UInt64
    /// Whether this stage limits the pipeline's throughput: the busiest, and busy most of the time.
    package var isBottleneck: Bool
    package var longRunning: [LongRunningItem]
}

/// One host's share of a pipeline's work.
package struct HostProgress: Codable, Equatable, Sendable {
    package var host: String
    package var workers: Int
    /// Items its workers finished, over every stage.
    package var items: UInt64
    /// Items finished per second, smoothed.
    package var rate: Double
    /// Its workers that died mid-stream (their unfinished work was replayed elsewhere).
    package var workersLost = 0
}
