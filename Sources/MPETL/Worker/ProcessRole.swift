import Foundation
import Synchronization

/// Whether this process is a driver (the user's program as started) or a worker (the same
/// program re-executed by the coordinator to run one stage replica).
enum ProcessRole: Sendable {
    case driver
    case worker(WorkerAssignment)

    /// Read once, on first use: the first `Pipeline` created or `Pipeline.isWorkerProcess`.
    static let current: ProcessRole = {
        guard let value = ProcessInfo.processInfo.environment[EnvironmentVariable.worker.name] else {
            return .driver
        }
        unsetenv(EnvironmentVariable.worker.name)
        guard let assignment = WorkerAssignment(environmentValue: value) else {
            Log.warning("ignoring malformed \(EnvironmentVariable.worker.name)=\(value)")
            return .driver
        }
        // Ctrl-C reaches the whole process group, a closed terminal hangs it up, and a service
        // manager signals every process:
        // a worker leaves when its driver tells it to (after its teardown) or dies with it.
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        signal(SIGHUP, SIG_IGN)
        // Die with the driver. The parent may already be gone before the signal was armed.
        Syscalls.dieWithParent()
        if Syscalls.parentProcessID != assignment.parentPID { Syscalls.exitProcess(0) }
        return .worker(assignment)
    }()

    /// Counts `start()` calls so a worker recognises its pipeline: the program builds and starts
    /// its pipelines in the same order in every process.
    static func nextStartOrdinal() -> UInt32 {
        startOrdinals.add(1, ordering: .relaxed).oldValue
    }

    private static let startOrdinals = Atomic<UInt32>(0)
}
