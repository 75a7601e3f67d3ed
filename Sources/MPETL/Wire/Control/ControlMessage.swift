import ZeroMQ

/// Control-plane messages between workers, the driver and the coordinator (DEALER ↔ ROUTER).
enum ControlMessage: Codable, Sendable {
    // driver → coordinator
    case register(PipelineRegistration)
    /// The feed is closed and every batch fed was acknowledged: every item reached the end.
    case feedComplete(pipeline: String, batches: UInt64, items: UInt64)
    /// Items fed so far, and how many the program said it will feed: for progress, while the
    /// feed is open (sent at most once per heartbeat, and only when it changed).
    case feedProgress(pipeline: String, items: UInt64, expected: UInt64?)
    case statsRequest(pipeline: String)
    /// The answer to the first `consumerLost`: the pipeline's results collector drops copies
    /// from now on, so the lost worker's producers may replay (a copy that reached the
    /// collector first would be kept twice).
    case copiesDropped(pipeline: String)
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
    case hello(
        WorkerAddress, pid: Int32, host: String, fingerprint: String, inputEndpoints: [Endpoint],
        linkEndpoints: [Endpoint]? = nil)
    case workerReady(WorkerAddress)
    case progress(WorkerAddress, WorkerCounters)
    /// The last sequence number done (processed, outputs acknowledged) of each producer's
    /// batches; the collector after the last stage says it on receipt. A worker adds its items
    /// done and their outputs so far (``WorkerCounters/itemsDone``): they travel with the
    /// acknowledgement, so a worker lost right after still counts every item it acknowledged.
    case done(WorkerAddress, upTo: [UInt32: UInt64], items: DoneItems? = nil)
    case stageFailed(WorkerAddress, FailureReport, WorkerCounters)
    case workerFinished(WorkerAddress, WorkerCounters)
    /// Items a stage with the skip policy dropped since the last report.
    case skipped(WorkerAddress, [SkippedItem])
    /// The answer to `producerLost`, once every input from that producer is done: the ids of
    /// the items from it this worker ran whose inputs there were not done, so the producer's
    /// replay must not bring them again (they are the ones it emitted from `settled` on).
    case originalsRan(WorkerAddress, producer: Int, ids: [UInt64])
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
    /// `holding`: the item it was running, read from its ``HeldItemRecord``; `alsoHolding`: the
    /// others, for a stage running several items at once (see ``heldItems``).
    case workerExited(WorkerAddress, ExitStatus, holding: HeldItem? = nil, alsoHolding: [HeldItem]? = nil)
    /// Every item this agent's workers have been running for a second or more (empty: none
    /// now): for `stats()` and progress.
    case runningItems([RunningItem])
    case heartbeat
    // coordinator → a producer (worker, or the driver for stage 0)
    /// A consumer acknowledged this producer's batches up to `upTo`: it may forget them.
    case acknowledged(pipeline: String, consumer: Int, upTo: UInt64)
    /// A consumer in `stage` died: replay what it did not acknowledge to the others, and have
    /// them leave out the items with the ids in `copies` (see ``CopiesFrame``).
    case consumerLost(pipeline: String, stage: Int, consumer: Int, copies: [UInt64]? = nil)
    /// A replacement worker joined `stage`: share batches with it too.
    case consumerAdded(pipeline: String, stage: Int, ConsumerEndpoint)
    // coordinator → worker
    case assign(consumers: [ConsumerEndpoint])
    /// A worker of the stage before died, having emitted its first `settled` items from inputs
    /// that are done: drop what else comes from it, and answer `originalsRan` once every
    /// input from it is done.
    case producerLost(pipeline: String, producer: Int, settled: UInt64)
    /// Items that killed workers of this worker's stage: describe them before running them,
    /// and skip the quarantined ones. The whole list, each time it changes.
    case suspects([SuspectItem])
    case refuse(reason: String)
    case finish
    case exit
    case abort(reason: String)
}

extension ControlMessage {
    /// A worker ended while running `held` (empty: between items).
    static func workerExited(_ address: WorkerAddress, _ status: ExitStatus, holding held: [HeldItem])
        -> ControlMessage
    {
        .workerExited(address, status, holding: held.first, alsoHolding: held.count > 1 ? Array(held.dropFirst()) : nil)
    }
}
