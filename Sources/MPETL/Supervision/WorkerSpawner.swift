import Foundation
import Logging
import ZeroMQ

/// Starts worker processes for an agent (a driver, or a worker host) and notices when they exit.
///
/// The thread that spawns must outlive its workers: the kernel kills a worker when the thread
/// that started it ends (`PR_SET_PDEATHSIG`), which is what takes workers down with their driver.
final class WorkerSpawner {
    struct Child {
        var address: WorkerAddress
        var exitDescriptor: Int32
        /// Where the worker writes the item it runs, sampled while it runs and read when it exits.
        var heldItem: HeldItemRecord
        /// What the agent last saw in each slot that holds an item.
        var samples: [Int: SlotSample] = [:]
        /// Set once this agent ended the worker for running past its stage's timeout: the item,
        /// with how long it ran.
        var timedOut: HeldItem?
        var lastLook: UInt64 = 0
    }

    /// What an agent saw of one slot of a worker's ``HeldItemRecord``.
    struct SlotSample {
        /// The item count last sampled, and since when it has not changed (``DispatchTime``
        /// nanoseconds): an unstamped item has run at least that long.
        var count: UInt64 = 0
        var since: UInt64 = 0
        /// How long its current timed item has run, counting only time this agent watched it
        /// run: not while the worker was stopped (SIGSTOP, Ctrl-Z), nor while this agent was
        /// (a gap between two looks longer than twice ``timeoutStepNanoseconds``).
        var timedElapsed: UInt64 = 0
    }

    /// How long an item runs before the agent reports it (progress and `stats()` show it).
    static let longItemNanoseconds: UInt64 = 1_000_000_000
    /// How often the agent looks at timed items, and half the longest gap between two looks it
    /// counts as time the item ran: a longer one means the agent itself was stopped or starved,
    /// and the item gets the benefit of the doubt.
    static let timeoutStepNanoseconds: UInt64 = 100_000_000

    /// The descriptor number a worker receives its ``HeldItemRecord`` as (the first after
    /// standard input, output and error).
    static let heldItemDescriptor: Int32 = 3

    /// What every worker of this agent shares.
    struct Program {
        var executable: String
        var arguments: [String]
        var environment: [String: String]
        var coordinatorEndpoint: Endpoint
        var runDirectory: String
    }

    private let program: Program
    private(set) var children: [Int32: Child] = [:]
    private var runningReports = RunningItemReports()

    init(program: Program) {
        var program = program
        program.environment = Self.workerEnvironment(program.environment)
        self.program = program
    }

    /// The agent's environment as its workers get it: without what only a driver reads, and
    /// without a log level the agent already warned about, so that a typo is reported once,
    /// not once per worker (the workers log at info, as the warning said).
    static func workerEnvironment(_ environment: [String: String]) -> [String: String] {
        var environment = environment
        environment[EnvironmentVariable.progress.name] = nil
        if let level = environment[EnvironmentVariable.logLevel.name], Logger.Level(rawValue: level.lowercased()) == nil
        {
            environment[EnvironmentVariable.logLevel.name] = nil
        }
        return environment
    }

    /// Starts the worker for `request`; returns its pid.
    func spawn(_ request: WorkerSpawnRequest) throws -> Int32 {
        let assignment = WorkerAssignment(
            coordinatorEndpoint: program.coordinatorEndpoint, pipelineID: request.address.pipeline,
            ordinal: request.ordinal, stage: request.address.stage, worker: request.address.worker,
            runDirectory: program.runDirectory, parentPID: Syscalls.processID,
            heldItemDescriptor: Self.heldItemDescriptor)
        var environment = program.environment
        environment[EnvironmentVariable.worker.name] = assignment.environmentValue
        let heldItem = try HeldItemRecord()
        let pid = try Syscalls.spawn(
            executable: program.executable, arguments: program.arguments, environment: environment,
            handing: heldItem.descriptor.map { [($0, Self.heldItemDescriptor)] } ?? [])
        heldItem.closeDescriptor()
        do {
            children[pid] = Child(
                address: request.address, exitDescriptor: try Syscalls.exitDescriptor(for: pid), heldItem: heldItem)
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
        return .workerExited(child.address, status, holding: child.timedOut.map { [$0] } ?? child.heldItem.held)
    }

    /// For the agent's loop, each turn: ends workers past their timeout, and returns the
    /// `runningItems` report to send if one is due, and when to look again for a timeout (as a
    /// ``ContinuousClock`` instant, for the loop's poll).
    func watchItems() -> (report: ControlMessage?, nextTimeout: ContinuousClock.Instant?) {
        guard !children.isEmpty || runningReports.hasSent else { return (nil, nil) }
        let now = DispatchTime.now().uptimeNanoseconds
        let (long, nextTimeout) = inspectItems(now: now)
        return (
            runningReports.due(long, at: now).map(ControlMessage.runningItems),
            nextTimeout.map { ContinuousClock.now + .nanoseconds(Int64(bitPattern: $0 &- now)) }
        )
    }

    /// Looks at what each worker is running, at `now` (``DispatchTime`` nanoseconds): ends the
    /// workers whose item ran past their stage's timeout, and returns the items running for at
    /// least ``longItemNanoseconds`` and when to look again for a timeout.
    func inspectItems(now: UInt64) -> (long: [RunningItem], nextTimeout: UInt64?) {
        var long: [RunningItem] = []
        var nextTimeout: UInt64?
        for (pid, var child) in children where child.timedOut == nil {
            // Whether the time since the last look counts: this agent looked regularly (it was
            // not stopped or starved itself) and the worker is not stopped.
            let watched = now &- child.lastLook <= 2 * Self.timeoutStepNanoseconds
            defer {
                child.lastLook = now
                children[pid] = child
            }
            let timeout = child.heldItem.timeoutNanoseconds
            let pages = child.heldItem.slots
            if pages.isEmpty {
                child.samples.removeAll(keepingCapacity: true)
                // A timed stage is looked at every step even between items, so an item's first
                // moments are watched too.
                if timeout > 0 { nextTimeout = min(nextTimeout ?? .max, now &+ Self.timeoutStepNanoseconds) }
                continue
            }
            let counts = watched && timeout > 0 && !Syscalls.isStopped(pid)
            var samples: [Int: SlotSample] = [:]
            for page in pages {
                var sample = child.samples[page.slot] ?? SlotSample()
                let newItem = page.count != sample.count
                if newItem {
                    sample.count = page.count
                    sample.since = now
                }
                let began = page.startedAt > 0 && page.startedAt <= now ? page.startedAt : sample.since
                if timeout > 0, page.startedAt > 0 {
                    if newItem {
                        // Only what ran since the last look, and only if that look was recent.
                        sample.timedElapsed = counts ? now &- max(began, child.lastLook) : 0
                    } else if counts {
                        sample.timedElapsed &+= now &- child.lastLook
                    }
                    if sample.timedElapsed >= timeout {
                        // Stuck or slow past its limit: only ending the process stops a body. The
                        // item is kept now: by the time the exit is reaped the page may show another.
                        var item = page.item
                        item.timedOutAfter = Double(sample.timedElapsed) / 1e9
                        child.timedOut = item
                        Syscalls.kill(pid, signal: SIGKILL)
                        break
                    }
                    nextTimeout = min(
                        nextTimeout ?? .max, now &+ min(timeout &- sample.timedElapsed, Self.timeoutStepNanoseconds))
                }
                samples[page.slot] = sample
                if now &- began >= Self.longItemNanoseconds {
                    long.append(
                        RunningItem(
                            address: child.address, pid: pid, item: page.item, seconds: Double(now &- began) / 1e9))
                }
            }
            child.samples = samples
        }
        return (long, nextTimeout)
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
