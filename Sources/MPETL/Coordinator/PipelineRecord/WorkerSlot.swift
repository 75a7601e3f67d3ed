import ZeroMQ

extension PipelineRecord {
    /// Where one worker of a stage is in its life, as the coordinator has heard.
    enum SlotState: Equatable {
        /// Declared, with no process yet.
        case unstarted
        /// Its agent starts it, or it runs and has not said hello yet.
        case starting
        /// Said hello: its input endpoints are known; it waits to be wired to its consumers.
        case connected
        /// Wired to its consumers: runs its stage.
        case running
        /// Finished its stage (its teardown ran) and waits to be told to exit; `exitHeld` while
        /// a `Pipeline.send` link of its still has batches the receiver has not counted.
        case finished(exitHeld: Bool)
        /// Told to exit: after finishing, or a replacement that joined when nothing was left.
        case toldToExit(finished: Bool)
        /// Its process ended; `lost` when it died mid-stream and its batches were replayed.
        case exited(lost: Bool, finished: Bool)
        /// A worker host's slot that could not join: the pipeline goes on without it.
        case dropped
    }

    /// One worker of a stage: its process, its connection and its counters.
    struct Slot {
        var state = SlotState.unstarted
        var pid: Int32?
        var host: String?
        var identity: [UInt8]?
        /// The worker's input: `ipc://` for its own host, and `tcp://` when it can be reached
        /// from others.
        var endpoints: [Endpoint] = []
        /// A first-stage worker's PULL for counted `Pipeline.send` links, likewise.
        var linkEndpoints: [Endpoint] = []
        /// The agent that started it: the driver, or a worker host.
        var agent: [UInt8]?
        /// Started by a worker host beyond the declared count: if it cannot join, the pipeline
        /// goes on without it.
        var remote = false
        var counters = WorkerCounters()
        /// `Pipeline.send` links from this worker whose batches the receiver has not all counted;
        /// the worker must keep its sockets open (not exit) until they are.
        var unacknowledged: Set<UInt32> = []
        /// The item it has been running for a second or more, as its agent last said.
        var runningItem: RunningItem?
        /// Once lost: how many of its outputs beyond its done ones the next stage ran and kept,
        /// their copies left out of the replay (see ``PipelineRecord/originalsRan(_:producer:ids:)``).
        var originalsRan: UInt64 = 0

        /// No process runs for it: not started yet, ended, or dropped.
        var exited: Bool {
            switch state {
            case .unstarted, .exited, .dropped: true
            default: false
            }
        }

        var dropped: Bool { state == .dropped }
        /// Counted among the stage's workers: running, or finished its stage.
        var isRunningOrFinished: Bool { !dropped && (!exited || finished) }

        /// Wired and running, or past that; a dropped slot counts too (nothing to wait for).
        var ready: Bool {
            switch state {
            case .running, .finished, .toldToExit, .dropped: true
            default: false
            }
        }

        /// Its stage finished in it: its counters are final.
        var finished: Bool {
            switch state {
            case .finished, .toldToExit(finished: true), .exited(_, finished: true), .dropped: true
            default: false
            }
        }

        var toldToExit: Bool {
            switch state {
            case .toldToExit, .dropped: true
            default: false
            }
        }

        var exitHeld: Bool { state == .finished(exitHeld: true) }

        /// Died mid-stream; its producers replayed its batches.
        var lost: Bool {
            if case .exited(lost: true, _) = state { return true }
            return false
        }

        /// A process now runs (or is being started) for a slot that had none.
        mutating func markStarting() {
            if state == .unstarted { state = .starting }
        }

        /// Its process ended.
        mutating func markExited() {
            guard state != .dropped else { return }
            state = .exited(lost: false, finished: finished)
        }
    }
}
