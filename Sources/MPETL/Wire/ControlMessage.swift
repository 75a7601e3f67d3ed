import ZeroMQ

/// Counters a worker (or the driver's results collector) reports about its stage.
struct WorkerCounters: Codable, Equatable, Sendable {
    var batchesIn: UInt64 = 0
    var itemsIn: UInt64 = 0
    var batchesOut: UInt64 = 0
    var itemsOut: UInt64 = 0
    var errors: UInt64 = 0
    var malformed: UInt64 = 0
    /// Time spent running the stage on batches, for the batch-duration metric.
    var busyNanoseconds: UInt64 = 0
    /// Batches this process pushed through each `Pipeline.send` link it opened, by producer id.
    var sends: [UInt32: UInt64] = [:]
    /// Batches a first-stage worker finished (processed, outputs acknowledged) from each
    /// `Pipeline.send` link, by producer id.
    var fromSenders: [UInt32: UInt64] = [:]
}

/// A worker of the next stage as a producer sees it: which one, and where to push to it.
struct ConsumerEndpoint: Codable, Equatable, Sendable {
    var worker: Int
    var endpoint: Endpoint
}

extension WorkerCounters {
    /// Counts one processed batch: one update of the counters instead of three.
    mutating func countBatch(items: UInt32, busyNanoseconds busy: UInt64) {
        busyNanoseconds &+= busy
        batchesIn += 1
        itemsIn += UInt64(items)
    }
}

/// Where a worker slot lives and who it is, for errors and stats.
struct WorkerAddress: Codable, Equatable, Hashable, Sendable {
    var pipeline: String
    var stage: Int
    var worker: Int

    /// The sender address of a program outside any pipeline (another language, say) that
    /// feeds a named pipeline through `resolve` and `sendsClosed`.
    static let external = WorkerAddress(pipeline: "external", stage: -1, worker: 0)
    var isExternal: Bool { stage == -1 }
}

/// What the driver tells the coordinator about a pipeline it starts.
struct PipelineRegistration: Codable, Sendable {
    var id: String
    var ordinal: UInt32
    var name: String?
    var stages: [StageSummary]
    var fingerprint: String
    /// The program to re-execute for workers: its path, argv, and the run prefix of its
    /// `ipc://` sockets (an abstract socket name, `@mpetl-PID-RANDOM`).
    var executable: String
    var arguments: [String]
    var runDirectory: String
    /// Where the last stage's results go (`ipc://`, and `tcp://` when remote workers may
    /// join); empty when the last stage returns nothing.
    var collectorEndpoints: [Endpoint]
    /// The driver's host, which starts the declared workers.
    var host: String
    /// What `Pipeline.send` senders need to push into the first stage like the driver does.
    var input: StageInput
}

/// The first stage's input as a sender must produce it.
struct StageInput: Codable, Equatable, Sendable {
    var typeName: String
    var chunkSize: Int
    /// 0 keeps libzmq's default.
    var highWaterMark: Int
}

/// How a process pushes items to a named pipeline: resolved once by the coordinator, then
/// used directly, batch after batch, with no hop through the coordinator.
struct SendRoute: Codable, Equatable, Sendable {
    var name: String
    var pipeline: String
    var ordinal: UInt32
    /// The producer id this link stamps on its batches; the receiver counts them by it.
    var producer: UInt32
    /// Every first-stage link endpoint (PULL) the sender can reach, for a counted link's
    /// single PUSH.
    var endpoints: [Endpoint]
    /// Each first-stage worker's input (ROUTER): an acknowledged link has a DEALER per worker.
    var consumers: [ConsumerEndpoint] = []
    var input: StageInput

    /// Refuses items of another type than the named pipeline's first stage takes, before any
    /// is sent (the receiver would only find out when it failed to decode them).
    func check<Item>(_ type: Item.Type) throws(PipelineError) {
        let given = String(describing: Item.self)
        guard given == input.typeName else {
            throw PipelineError(code: .typeMismatch, pipeline: name,
                                reason: "Pipeline.send was given \(given) but the first stage of \"\(name)\" takes \(input.typeName); send \(input.typeName) values")
        }
    }
}

/// One stage as the coordinator sees it.
struct StageSummary: Codable, Equatable, Sendable {
    var label: String
    var processes: Int
    var chunkSize: Int
    /// True when the stage's error policy is ``ErrorPolicy/skip``: an item that keeps killing
    /// its workers is then quarantined instead of failing the pipeline.
    var skipsFailedItems: Bool? = nil
    /// `n` when the policy is ``ErrorPolicy/retry(_:)``: an item that timed out is replayed up to
    /// `n` times.
    var retries: Int? = nil
}

/// A stage's failure as it travels to the driver.
struct FailureReport: Codable, Equatable, Sendable {
    /// A ``PipelineError/Code`` name, e.g. "stage failed" or "worker died".
    var code: PipelineError.Code = .stageFailed
    var pipeline: String
    var stage: Int?
    var stageLabel: String?
    var pid: Int32?
    var host: String?
    var item: String?
    /// How many workers the item killed, when it is a poison item.
    var workersKilled: Int?
    var reason: String
    /// What the user's code threw, when that is the failure.
    var cause: PipelineError.Cause?
}

/// A worker the coordinator asks an agent to start.
struct WorkerSpawnRequest: Codable, Equatable, Sendable {
    var address: WorkerAddress
    var ordinal: UInt32
}

/// A worker host introducing itself: what it can run and for which program.
struct WorkerHostInfo: Codable, Equatable, Sendable {
    var host: String
    var slots: Int
    /// The program's file name: a host only joins pipelines of a program with that name.
    var program: String
}

/// The coordinator as its agents need to know it: whether they can watch its process, and
/// how long it waits on a silent remote host.
struct CoordinatorInfo: Codable, Equatable, Sendable {
    var process: ProcessIdentity
    var hostTimeoutMilliseconds: UInt64
}

/// Control-plane messages between workers, the driver and the coordinator (DEALER ↔ ROUTER).
enum ControlMessage: Codable, Sendable {
    // driver → coordinator
    case register(PipelineRegistration)
    /// The feed is closed and every batch fed was acknowledged: every item reached the end.
    case feedComplete(pipeline: String, batches: UInt64, items: UInt64)
    case statsRequest(pipeline: String)
    /// The driver was told to stop (SIGINT, SIGTERM): abort its pipelines, tearing down.
    case driverStopping(reason: String)
    // anyone → coordinator: every pipeline it knows, for `mpetl-coordinator status`
    case statusRequest
    case status([PipelineStats])
    // worker → coordinator: the first `Pipeline.send` to a name in this process
    case resolve(name: String, from: WorkerAddress)
    // a program outside the pipeline's processes (any language) → coordinator: the last
    // batch count of a link it opened with `resolve(from: WorkerAddress.external)`
    case sendsClosed(producer: UInt32, batches: UInt64)
    // coordinator → that program: every batch of the link was counted; it may close its socket
    case linkAcknowledged(producer: UInt32)
    // coordinator → that program: the receiving pipeline failed; the link's items are lost
    case linkFailed(producer: UInt32, reason: String)
    // coordinator → worker
    case resolved(SendRoute)
    case unresolved(name: String, code: PipelineError.Code, reason: String)
    // coordinator → driver
    case ready(pipeline: String, stageZero: [ConsumerEndpoint])
    case finished(pipeline: String, stats: PipelineStats, skipped: [SkippedItem], skippedCount: Int)
    case failed(FailureReport)
    case stats(pipeline: String, stats: PipelineStats)
    /// Another pipeline began sending to `pipeline`: its join must wait for that one.
    case senderAdded(pipeline: String, sender: String, senderLabel: String)
    // worker → coordinator (the collector reports progress as the stage after the last)
    /// `inputEndpoints`: the worker's ROUTER, for producers that take credit; `linkEndpoints`:
    /// a first-stage worker's PULL, for counted `Pipeline.send` links.
    case hello(WorkerAddress, pid: Int32, host: String, fingerprint: String, inputEndpoints: [Endpoint], linkEndpoints: [Endpoint]? = nil)
    case workerReady(WorkerAddress)
    case progress(WorkerAddress, WorkerCounters)
    /// The last sequence number done (processed, outputs acknowledged) of each producer's
    /// batches; the collector after the last stage says it on receipt.
    case done(WorkerAddress, upTo: [UInt32: UInt64])
    case stageFailed(WorkerAddress, FailureReport, WorkerCounters)
    case workerFinished(WorkerAddress, WorkerCounters)
    /// Items a stage with the skip policy dropped since the last report.
    case skipped(WorkerAddress, [SkippedItem])
    // coordinator → agent (a driver, or a worker host)
    case spawn(WorkerSpawnRequest)
    case killWorker(pid: Int32)
    case hostRefused(reason: String)
    case hostAccepted
    /// The answer to `agentHello`: who the coordinator is.
    case welcome(CoordinatorInfo)
    /// This agent was declared lost (silent past the heartbeat timeout): whatever it says is
    /// refused. It must end its workers and join again as a new agent.
    case fenced(reason: String)
    // agent → coordinator
    /// An agent's first message: where it runs, so a local one is watched through the kernel.
    case agentHello(host: String, process: ProcessIdentity)
    case workerHost(WorkerHostInfo)
    case spawned(WorkerAddress, pid: Int32)
    case spawnFailed(WorkerAddress, reason: String)
    /// `holding`: the item it was running, read from its ``HeldItemRecord``.
    case workerExited(WorkerAddress, ExitStatus, holding: HeldItem? = nil)
    /// Every item this agent's workers have been running for a second or more (empty: none
    /// now): for `stats()` and progress.
    case runningItems([RunningItem])
    case heartbeat
    // coordinator → a producer (worker, or the driver for stage 0)
    /// A consumer acknowledged this producer's batches up to `upTo`: it may forget them.
    case acknowledged(pipeline: String, consumer: Int, upTo: UInt64)
    /// A consumer in `stage` died: replay what it did not acknowledge to the others.
    case consumerLost(pipeline: String, stage: Int, consumer: Int)
    /// A replacement worker joined `stage`: share batches with it too.
    case consumerAdded(pipeline: String, stage: Int, ConsumerEndpoint)
    // coordinator → worker
    case assign(consumers: [ConsumerEndpoint])
    /// Items that killed workers of this worker's stage: describe them before running them,
    /// and skip the quarantined ones. The whole list, each time it changes.
    case suspects([SuspectItem])
    case refuse(reason: String)
    case finish
    case exit
    case abort(reason: String)
}
