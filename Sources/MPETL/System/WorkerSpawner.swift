import Foundation

/// Starts worker processes for an agent (a driver, or a worker host) and notices when they exit.
///
/// The thread that spawns must outlive its workers: the kernel kills a worker when the thread
/// that started it ends (`PR_SET_PDEATHSIG`), which is what takes workers down with their driver.
final class WorkerSpawner {
    struct Child {
        var address: WorkerAddress
        var exitDescriptor: Int32
        /// Where the worker writes the item it runs, read when it exits.
        var heldItem: HeldItemRecord
    }

    /// The descriptor number a worker receives its ``HeldItemRecord`` as (the first after
    /// standard input, output and error).
    static let heldItemDescriptor: Int32 = 3

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
            runDirectory: program.runDirectory, parentPID: Syscalls.processID, heldItemDescriptor: Self.heldItemDescriptor)
        var environment = program.environment
        environment[WorkerAssignment.environmentKey] = assignment.environmentValue
        let heldItem = try HeldItemRecord()
        let pid = try Syscalls.spawn(executable: program.executable, arguments: program.arguments, environment: environment,
                                     handing: heldItem.descriptor.map { [($0, Self.heldItemDescriptor)] } ?? [])
        heldItem.closeDescriptor()
        do {
            children[pid] = Child(address: request.address, exitDescriptor: try Syscalls.exitDescriptor(for: pid), heldItem: heldItem)
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

    /// Reaps `pid` if it has exited: the message that tells the coordinator, with the item the
    /// worker was running, if any.
    func reap(_ pid: Int32) -> ControlMessage? {
        guard let child = children[pid], let status = Syscalls.reap(pid) else { return nil }
        Syscalls.closeDescriptor(child.exitDescriptor)
        children[pid] = nil
        return .workerExited(child.address, status, holding: child.heldItem.held)
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
