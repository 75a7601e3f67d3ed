import Foundation

/// Every environment variable MPETL reads or sets: the contract between the processes of a
/// re-executing framework.
///
/// MPETL cannot ship closures to another process, so a worker is the user's own program
/// started again; what makes it a worker, and where it finds its coordinator, travels in these
/// variables. Users set the *settings*; the *wiring* is set by the driver, `mpetl-coordinator`
/// or a worker host for the processes they start, and a user sets it only to join a
/// coordinator by hand (`MPETL_COORDINATOR`). `docs/environment.md` lists the same table, and
/// a test keeps the two equal.
///
/// ```swift
/// if let level = EnvironmentVariable.logLevel.value { print("logging at \(level)") }
/// ```
package enum EnvironmentVariable: String, CaseIterable, Sendable {
    // Wiring: set for the processes MPETL starts.

    /// `v1␟COORDINATOR␟PIPELINE␟ORDINAL␟STAGE␟WORKER␟RUN␟PARENT[␟FD]`: makes the program a worker
    /// (``WorkerAssignment``). Set by the agent that spawns it, removed once read so the
    /// stage's own child processes are not workers; also read by the C shim that blocks signals
    /// before Swift's runtime starts.
    case worker = "MPETL_WORKER"
    /// The coordinator's endpoint: pipelines register there instead of embedding one. Set by
    /// `launch`, or by the user for `serve`.
    case coordinator = "MPETL_COORDINATOR"
    /// The pid of the `launch` command owning the program: the driver asks the kernel for
    /// SIGTERM when it dies.
    case launcherPID = "MPETL_LAUNCHER_PID"
    /// The address other hosts reach this one at; set by `launch --listen` and `worker`. Data
    /// sockets then also bind on TCP there.
    case advertise = "MPETL_ADVERTISE"
    /// This host's name in stats and errors; set by `worker --name`, default the host name.
    case host = "MPETL_HOST"

    // Settings: set by users.

    /// The cluster's key file (`mpetl-coordinator keys`); `--keys` sets it. Unset: no CURVE.
    case keys = "MPETL_KEYS"
    /// `trace` … `critical`; default `info`.
    case logLevel = "MPETL_LOG_LEVEL"
    /// How a program run on its own shows progress: auto, plain or off (see ``ProgressDisplay``).
    case progress = "MPETL_PROGRESS"
    /// Replaces the executable's build id in the fingerprint driver and workers compare, for
    /// builds known to be equivalent.
    case buildIdentity = "MPETL_BUILD_IDENTITY"
    /// Seconds a pipeline's workers may take to reach `start()`; default 60.
    case startTimeout = "MPETL_START_TIMEOUT"
    /// Seconds a host on another machine may be silent before its workers are declared lost;
    /// default 30.
    case heartbeatTimeout = "MPETL_HEARTBEAT_TIMEOUT"
    /// Seconds a coordinator on another machine may be silent before drivers and worker hosts
    /// give up on it; default 10.
    case coordinatorTimeout = "MPETL_COORDINATOR_TIMEOUT"

    /// The variable's name, e.g. `MPETL_KEYS`.
    package var name: String { rawValue }

    /// Its value in this process's environment; nil when unset or empty (an empty value means
    /// unset, as a shell's `VAR= cmd` does).
    package var value: String? {
        guard let value = ProcessInfo.processInfo.environment[rawValue], !value.isEmpty else { return nil }
        return value
    }
}
