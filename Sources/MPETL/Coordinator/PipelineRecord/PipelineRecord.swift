import ZeroMQ

/// The coordinator's view of one pipeline: its workers, and what decides end of stream.
///
/// End of stream rests on acknowledgements, which the coordinator relays from consumers to
/// producers: a worker acknowledges an input batch once it processed it and the next stage
/// acknowledged everything it produced, and the collector after the last stage acknowledges on
/// receipt. So once the driver says its closed feed is all acknowledged (and every
/// `Pipeline.send` link into stage 0 is closed and done), every item has reached the end; then
/// all workers finish (tear down) and exit. A worker that dies before that is *lost*: its
/// producers replay what it had not acknowledged to its siblings, and a replacement starts.
/// This type only decides; the ``Coordinator`` performs the actions it returns.
///
/// Its concerns live in one file each beside this one: launch (`+Launch`), end of stream
/// (`+EndOfStream`), links from `Pipeline.send` (`+Links`), failures and replacement
/// (`+Failures`), poison items, endpoints and stats. Its state is changed only through the
/// methods they declare; it is not `private(set)` because Swift limits that to one file.
struct PipelineRecord {
    enum Phase: Equatable {
        case launching, connecting, running
        case failing(FailureReport)
        case finished, failed
    }

    let registration: PipelineRegistration
    let driver: [UInt8]
    var slots: [[Slot]]
    var collector = WorkerCounters()
    /// Batches fed, once the feed is closed and all of it was acknowledged.
    var feedTotal: UInt64?
    /// Items fed, likewise.
    var feedItems: UInt64?
    /// Items fed so far, as the driver last reported while feeding.
    var itemsFed: UInt64 = 0
    /// Items the driver said it will feed, when it knows.
    var expectedItems: UInt64?
    /// When the pipeline registered, and when it finished or failed: its elapsed time.
    let registeredAt = ContinuousClock.now
    var endedAt: ContinuousClock.Instant?
    /// Set when everything has reached the end and the workers were told to finish.
    var finishing = false
    /// The driver said its results collector drops copies (after the first loss).
    var collectorDropsCopiesNow = false
    /// `consumerLost` for producers, held until then.
    var replaysAwaitingCollector: [CoordinatorAction] = []
    /// Lost workers' replays held for the next stage's originals (see `+Originals`).
    var heldReplays: [HeldReplay] = []
    /// Replacement workers each stage may still start.
    var restartsLeft: [Int]
    /// `Pipeline.send` links into stage 0 whose senders have not finished yet.
    var openInbound: Set<UInt32> = []
    /// Final batch counts of `Pipeline.send` links into stage 0, by producer id.
    var finalInbound: [UInt32: UInt64] = [:]
    /// Acknowledged links' batches done, by producer id and first-stage worker.
    var linkDone: [UInt32: [Int: UInt64]] = [:]
    /// Pipelines that may still send to this one without having done so yet: for a named
    /// pipeline, those its program started before it that have not finished.
    var awaitedSenders: Set<String> = []
    /// Items skipped by stages with the skip policy: the first `skippedKept`, and a count.
    var skipped: [SkippedItem] = []
    var skippedCount = 0
    struct SkippedKey: Hashable {
        var stage: String
        var itemID: UInt64
    }
    var skippedIDs: Set<SkippedKey> = []
    static let skippedKept = 100_000
    /// Items that killed workers of a stage.
    var poison = PoisonLedger()
    var phase: Phase = .launching
    var killDeadline: ContinuousClock.Instant?
    let startDeadline: ContinuousClock.Instant
    let startTimeout: Duration

    var label: String { registration.name ?? "pipeline #\(registration.ordinal)" }

    /// How many replacements a stage of `processes` workers may start: enough to ride out
    /// several deaths, few enough that a stage which kills every worker fails soon.
    static func restarts(forProcesses processes: Int) -> Int { max(3, 2 * processes) }
    var isDone: Bool { phase == .finished || phase == .failed }

    init(registration: PipelineRegistration, driver: [UInt8], startTimeout: Duration = Liveness.defaultStartTimeout) {
        self.startTimeout = startTimeout
        self.registration = registration
        self.driver = driver
        slots = registration.stages.map { Array(repeating: Slot(), count: $0.processes) }
        restartsLeft = registration.stages.map { Self.restarts(forProcesses: $0.processes) }
        startDeadline = .now + startTimeout
    }

    /// The failure being handled or reported, if any.
    var failure: FailureReport?

    var isFailing: Bool {
        if case .failing = phase { return true }
        return phase == .failed
    }

    // MARK: Helpers

    var allSlots: [Slot] { slots.flatMap { $0 } }

    /// Who pushes into `stage`, by connection identity, with their hosts: the driver for stage
    /// 0, else the previous stage's workers that said hello and still run.
    func producers(of stage: Int) -> [(identity: [UInt8], host: String?)] {
        if stage == 0 { return [(driver, registration.host)] }
        return slots[stage - 1].compactMap { slot in
            guard let identity = slot.identity, !slot.exited, !slot.dropped else { return nil }
            return (identity, slot.host)
        }
    }

    func isKnown(_ address: WorkerAddress) -> Bool {
        slots.indices.contains(address.stage) && slots[address.stage].indices.contains(address.worker)
    }

    func report(
        _ address: WorkerAddress, reason: String, pid: Int32?, host: String?,
        code: PipelineError.Code = .startFailed
    ) -> FailureReport {
        FailureReport(
            code: code, pipeline: label, stage: address.stage,
            stageLabel: registration.stages.indices.contains(address.stage)
                ? registration.stages[address.stage].label : nil,
            pid: pid, host: host, item: nil, reason: reason)
    }
}
