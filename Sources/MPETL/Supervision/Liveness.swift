import Foundation

/// How MPETL tells a slow peer from a lost one, and the limits users can set.
///
/// A *local* peer (see ``ProcessIdentity``) is watched through the kernel: its exit wakes its
/// watcher at once, and while it lives it is slow, never lost, whatever the load. Only a
/// *remote* peer is judged by silence, and only by time its judge was awake to hear it (see
/// ``SilenceWatch``):
///
/// - the coordinator declares a remote worker host (or driver) lost after
///   ``hostTimeout`` of silence: `MPETL_HEARTBEAT_TIMEOUT` seconds, or `--heartbeat-timeout`
///   on `launch` and `serve`. Default 30 s: heartbeats leave every 0.5 s from a thread that does
///   no data work, so 30 s is 60 missed heartbeats, enough to ride out a saturated host, a
///   long garbage-free stall or a brief network hiccup, in line with Ray's node health check
///   (about 30 s) and well under Spark's 120 s network timeout and Dask's 300 s worker TTL,
///   whose jobs replay far more than a batch window.
/// - a driver or worker host gives up on a remote coordinator after ``coordinatorTimeout`` of
///   silence: `MPETL_COORDINATOR_TIMEOUT` seconds, or `--coordinator-timeout` on `worker`.
///   Default 10 s, the bound within which a run must notice its coordinator is gone. A worker
///   host also ends its workers once its coordinator has been silent for half the
///   coordinator's own host timeout, so they have stopped before replacements start.
enum Liveness {
    /// How often agents and the coordinator say they are alive.
    static let heartbeatInterval: Duration = .milliseconds(500)

    /// How long a pipeline's workers may take to reach `start()` and connect: a worker that
    /// never does (a program that blocks before `start()` in a worker, say) is alive, so only
    /// a limit can tell. Generous, as 45 workers starting beside busy loops on 2 cores took
    /// a few seconds.
    static let defaultStartTimeout: Duration = .seconds(60)
    static let defaultHostTimeout: Duration = .seconds(30)
    static let defaultCoordinatorTimeout: Duration = .seconds(10)

    /// How long a remote host may be silent before the coordinator calls it lost.
    /// - Throws: ``PipelineError/Code/invalidDefinition`` when the variable is not a number of
    ///   seconds above zero.
    static func hostTimeout() throws(PipelineError) -> Duration {
        try setting(.heartbeatTimeout, default: defaultHostTimeout)
    }

    /// How long a pipeline's workers may take to start (`MPETL_START_TIMEOUT`).
    /// - Throws: ``PipelineError/Code/invalidDefinition`` as for ``hostTimeout()``.
    static func startTimeout() throws(PipelineError) -> Duration {
        try setting(.startTimeout, default: defaultStartTimeout)
    }

    /// How long a remote coordinator may be silent before its drivers and hosts give up.
    /// - Throws: ``PipelineError/Code/invalidDefinition`` as for ``hostTimeout()``.
    static func coordinatorTimeout() throws(PipelineError) -> Duration {
        try setting(.coordinatorTimeout, default: defaultCoordinatorTimeout)
    }

    private static func setting(_ variable: EnvironmentVariable, default value: Duration) throws(PipelineError)
        -> Duration
    {
        guard let text = variable.value else { return value }
        return try duration(seconds: text, name: variable.name)
    }

    /// Parses a limit given in seconds, as the environment and the command line give them.
    /// - Throws: ``PipelineError/Code/invalidDefinition`` naming `name` when `text` is not a
    ///   number of seconds above zero.
    static func duration(seconds text: String, name: String) throws(PipelineError) -> Duration {
        // At most about 31 years: a longer limit would overflow a duration.
        guard let seconds = Double(text), seconds > 0, seconds <= 1e9 else {
            throw PipelineError(
                code: .invalidDefinition, pipeline: "liveness",
                reason:
                    "\(name)=\(text) is not a number of seconds above 0 and at most 1000000000; give e.g. \(name)=30")
        }
        return .milliseconds(Int((seconds * 1000).rounded(.up)))
    }
}
