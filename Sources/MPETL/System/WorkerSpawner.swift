import Foundation

/// Starts worker processes for an agent (a driver, or a worker host) and notices when they exit.
///
/// The thread that spawns must outlive its workers: the kernel kills a worker when the thread
/// that started it ends (`PR_SET_PDEATHSIG`), which is what takes workers down with their driver.
final class WorkerSpawner {
    struct Child {
        var address: WorkerAddress
        var exitDescriptor: Int32
    }

    /// What every worker of this agent shares.
    struct Program {
        var executable: String
        var arguments: [String]
        var environment: [String: String]
        var coordinatorEndpoint: String
        var runDirectory: String
    }

    private let program: Program
    private(set) var children: [Int32: Child] = [:]

    init(program: Program) {
        self.program = program
    }

    /// Starts the worker for `request`; returns its pid.
    func spawn(_ request: WorkerSpawnRequest) throws -> Int32 {
        let assignment = WorkerAssignment(
            coordinatorEndpoint: program.coordinatorEndpoint, pipelineID: request.address.pipeline,
            ordinal: request.ordinal, stage: request.address.stage, worker: request.address.worker,
            runDirectory: program.runDirectory, parentPID: Syscalls.processID)
        var environment = program.environment
        environment[WorkerAssignment.environmentKey] = assignment.environmentValue
        let pid = try Syscalls.spawn(executable: program.executable, arguments: program.arguments, environment: environment)
        do {
            children[pid] = Child(address: request.address, exitDescriptor: try Syscalls.exitDescriptor(for: pid))
        } catch {
            Syscalls.kill(pid, signal: SIGKILL)
            _ = Syscalls.reap(pid)
            throw error
        }
        return pid
    }

    /// Starts the worker for `request` and says how that went, as the coordinator asked.
    func answer(_ request: WorkerSpawnRequest) -> ControlMessage {
        do {
            return .spawned(request.address, pid: try spawn(request))
        } catch {
            return .spawnFailed(request.address, reason: "\(error)")
        }
    }

    /// Reaps `pid` if it has exited.
    func reap(_ pid: Int32) -> (WorkerAddress, ExitStatus)? {
        guard let child = children[pid], let status = Syscalls.reap(pid) else { return nil }
        Syscalls.closeDescriptor(child.exitDescriptor)
        children[pid] = nil
        return (child.address, status)
    }

    /// Kills one of this agent's workers; other pids are refused.
    func kill(_ pid: Int32) {
        guard children[pid] != nil else { return }
        Syscalls.kill(pid, signal: SIGKILL)
    }

    /// Kills every worker (the agent is going away).
    func killAll() {
        for pid in children.keys { Syscalls.kill(pid, signal: SIGKILL) }
    }

    /// Waits for every worker to exit (after ``killAll()``) and forgets them.
    func reapAll() {
        for (pid, child) in children {
            _ = Syscalls.reap(pid, waiting: true)
            Syscalls.closeDescriptor(child.exitDescriptor)
        }
        children.removeAll()
    }
}
