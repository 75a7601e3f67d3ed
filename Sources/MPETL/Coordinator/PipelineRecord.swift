import ZeroMQ

/// What the coordinator must do after an event: send a control message or kill a process.
enum CoordinatorAction {
    case send(to: [UInt8], ControlMessage)
    case kill(pid: Int32)
    /// Asks `agent` to start a worker (a replacement for one that died).
    case spawn(agent: [UInt8], WorkerSpawnRequest)
}

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
struct PipelineRecord {
    struct Slot {
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
        var dropped = false
        var ready = false
        var counters = WorkerCounters()
        var finished = false
        /// Died before its stage finished; its producers replayed its batches.
        var lost = false
        var toldToExit = false
        var exited = true
        /// `Pipeline.send` links from this worker whose batches the receiver has not all counted;
        /// the worker must keep its sockets open (not exit) until they are.
        var unacknowledged: Set<UInt32> = []
        var exitHeld = false
        /// The item it has been running for a second or more, as its agent last said.
        var runningItem: RunningItem?
    }

    enum Phase: Equatable {
        case launching, connecting, running, failing(FailureReport), finished, failed
    }

    let registration: PipelineRegistration
    let driver: [UInt8]
    private(set) var slots: [[Slot]]
    private(set) var collector = WorkerCounters()
    /// Batches fed, once the feed is closed and all of it was acknowledged.
    private(set) var feedTotal: UInt64?
    /// Items fed, likewise.
    private(set) var feedItems: UInt64?
    /// Set when everything has reached the end and the workers were told to finish.
    private(set) var finishing = false
    /// Replacement workers each stage may still start.
    private(set) var restartsLeft: [Int]
    /// `Pipeline.send` links into stage 0 whose senders have not finished yet.
    private(set) var openInbound: Set<UInt32> = []
    /// Final batch counts of `Pipeline.send` links into stage 0, by producer id.
    private(set) var finalInbound: [UInt32: UInt64] = [:]
    /// Acknowledged links' batches done, by producer id and first-stage worker.
    private(set) var linkDone: [UInt32: [Int: UInt64]] = [:]
    /// Pipelines that may still send to this one without having done so yet: for a named
    /// pipeline, those its program started before it that have not finished.
    private(set) var awaitedSenders: Set<String> = []
    /// Items skipped by stages with the skip policy: the first `skippedKept`, and a count.
    private(set) var skipped: [SkippedItem] = []
    private(set) var skippedCount = 0
    private struct SkippedKey: Hashable {
        var stage: String
        var itemID: UInt64
    }
    private var skippedIDs: Set<SkippedKey> = []
    static let skippedKept = 100_000
    /// Items that killed workers of a stage.
    var poison = PoisonLedger()
    private(set) var phase: Phase = .launching
    private(set) var killDeadline: ContinuousClock.Instant?
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

    // MARK: Launch

    mutating func spawned(stage: Int, worker: Int, pid: Int32, host: String) {
        slots[stage][worker].pid = pid
        slots[stage][worker].host = host
        slots[stage][worker].exited = false
    }

    /// Records which agent starts a slot, before it is spawned.
    mutating func assignAgent(_ agent: [UInt8], stage: Int, worker: Int, host: String) {
        slots[stage][worker].agent = agent
        slots[stage][worker].host = host
        slots[stage][worker].exited = false
    }

    /// Adds a worker host's slot to `stage`; returns its worker index. Only while launching.
    mutating func addRemoteSlot(stage: Int, agent: [UInt8], host: String) -> Int? {
        guard phase == .launching, slots.indices.contains(stage) else { return nil }
        var slot = Slot()
        slot.remote = true
        slot.agent = agent
        slot.host = host
        slot.exited = false
        slots[stage].append(slot)
        return slots[stage].count - 1
    }

    /// What an agent says its worker at `address` has been running for a while (nil: nothing long).
    mutating func setRunningItem(_ item: RunningItem?, of address: WorkerAddress) {
        guard isKnown(address), !slots[address.stage][address.worker].exited else { return }
        slots[address.stage][address.worker].runningItem = item
    }

    func slot(at address: WorkerAddress) -> Slot? {
        isKnown(address) ? slots[address.stage][address.worker] : nil
    }

    /// The host a worker runs on.
    func host(of address: WorkerAddress) -> String? {
        isKnown(address) ? slots[address.stage][address.worker].host : nil
    }

    /// The agent that started the worker with `pid`, to ask it to kill that worker.
    func agent(ofPid pid: Int32) -> [UInt8]? {
        allSlots.first { $0.pid == pid }?.agent
    }

    /// A worker host's slot that could not join: the pipeline goes on with the others.
    private mutating func drop(_ address: WorkerAddress) -> [CoordinatorAction] {
        var slot = slots[address.stage][address.worker]
        slot.dropped = true
        slot.ready = true
        slot.finished = true
        slot.toldToExit = true
        slot.exited = true
        slot.endpoints = []
        slots[address.stage][address.worker] = slot
        return wireIfAllSaidHello() + startIfAllReady()
    }

    mutating func hello(_ address: WorkerAddress, identity: [UInt8], pid: Int32, host: String,
                        fingerprint: String, endpoints: [Endpoint], linkEndpoints: [Endpoint] = []) -> [CoordinatorAction] {
        guard isKnown(address), !slots[address.stage][address.worker].dropped else {
            return [.send(to: identity, .refuse(reason: "\(label) has no stage \(address.stage) worker \(address.worker)"))]
        }
        guard fingerprint == registration.fingerprint else {
            let reason = BuildIdentity.mismatch(worker: fingerprint, driver: registration.fingerprint, label: label)
            if slots[address.stage][address.worker].remote, let agent = slots[address.stage][address.worker].agent {
                return [.send(to: identity, .refuse(reason: reason)),
                        .send(to: agent, .hostRefused(reason: "a worker on \(host) was refused: \(reason)"))] + drop(address)
            }
            return [.send(to: identity, .refuse(reason: reason))]
                + fail(report(address, reason: reason, pid: pid, host: host))
        }
        slots[address.stage][address.worker].identity = identity
        slots[address.stage][address.worker].pid = pid
        slots[address.stage][address.worker].host = host
        slots[address.stage][address.worker].endpoints = endpoints
        slots[address.stage][address.worker].linkEndpoints = linkEndpoints
        if case .failing(let failure) = phase { return [.send(to: identity, .abort(reason: failure.reason))] }
        if phase == .running { return joinReplacement(address) }
        return wireIfAllSaidHello()
    }

    /// Once every worker has said where its input is, tells each where to send its output.
    private mutating func wireIfAllSaidHello() -> [CoordinatorAction] {
        guard phase == .launching, allSlots.allSatisfy({ $0.dropped || !$0.endpoints.isEmpty }) else { return [] }
        // A producer that could reach none of its consumers would lose everything it made.
        for stage in slots.indices {
            let consumerCount = stage + 1 < slots.count ? slots[stage + 1].filter { !$0.dropped }.count
                : registration.collectorEndpoints.isEmpty ? 0 : 1
            for worker in slots[stage].indices where !slots[stage][worker].dropped && consumerCount > 0
            && consumers(of: stage + 1, from: slots[stage][worker].host).isEmpty {
                let address = WorkerAddress(pipeline: registration.id, stage: stage, worker: worker)
                let slot = slots[stage][worker]
                let reason = "the worker on \(slot.host ?? "?") cannot reach the next stage's workers, which listen only on their own host; run the driver with MPETL_ADVERTISE=ITS_ADDRESS (launch --listen tcp://ADDRESS:PORT sets it)"
                guard slot.remote else { return fail(report(address, reason: reason, pid: slot.pid, host: slot.host)) }
                Log.warning("\(label): dropping a worker host's slot: \(reason)")
                return [.send(to: slot.identity!, .refuse(reason: reason))] + drop(address)
            }
        }
        phase = .connecting
        var actions: [CoordinatorAction] = []
        for stage in slots.indices {
            for slot in slots[stage] where !slot.dropped {
                actions.append(.send(to: slot.identity!, .assign(consumers: consumers(of: stage + 1, from: slot.host))))
            }
        }
        return actions
    }

    /// A replacement said hello: it gets its consumers, and its producers get it.
    private mutating func joinReplacement(_ address: WorkerAddress) -> [CoordinatorAction] {
        let slot = slots[address.stage][address.worker]
        guard !finishing else {
            // Everything reached the end meanwhile: nothing is left for it to do.
            slots[address.stage][address.worker].toldToExit = true
            return [.send(to: slot.identity!, .exit)]
        }
        var actions: [CoordinatorAction] = [.send(to: slot.identity!, .assign(consumers: consumers(of: address.stage + 1, from: slot.host)))]
        let suspects = poison.suspects(of: address.stage)
        if !suspects.isEmpty { actions.append(.send(to: slot.identity!, .suspects(suspects))) }
        for (producer, host) in producers(of: address.stage) {
            let reachable = Self.reachable([(slot.host, slot.endpoints)], from: host)
            guard let endpoint = reachable.first else { continue }
            actions.append(.send(to: producer, .consumerAdded(pipeline: registration.id, stage: address.stage,
                                                              ConsumerEndpoint(worker: address.worker, endpoint: endpoint))))
        }
        Log.info("\(label): the replacement \(registration.stages[address.stage].label) worker (pid \(slot.pid ?? 0)) joined")
        return actions
    }

    mutating func workerReady(_ address: WorkerAddress) -> [CoordinatorAction] {
        guard isKnown(address) else { return [] }
        slots[address.stage][address.worker].ready = true
        return startIfAllReady()
    }

    private mutating func startIfAllReady() -> [CoordinatorAction] {
        guard phase == .connecting, allSlots.allSatisfy(\.ready) else { return [] }
        phase = .running
        return [.send(to: driver, .ready(pipeline: registration.id, stageZero: consumers(of: 0, from: registration.host)))]
            + advance()
    }

    // MARK: Progress and end of stream

    /// The driver's feed is closed and every batch of it was acknowledged.
    mutating func feedComplete(batches: UInt64, items: UInt64? = nil) -> [CoordinatorAction] {
        feedTotal = batches
        feedItems = items
        return advance()
    }

    mutating func progress(_ address: WorkerAddress, _ counters: WorkerCounters) -> [CoordinatorAction] {
        if address.stage == slots.count {
            collector = counters
        } else if isKnown(address) {
            slots[address.stage][address.worker].counters = counters
        }
        return advance()
    }

    /// Relays a consumer's acknowledgements to the producers they are for.
    func acknowledgements(from address: WorkerAddress, upTo: [UInt32: UInt64]) -> [CoordinatorAction] {
        guard phase == .running, address.stage == slots.count || (isKnown(address) && !slots[address.stage][address.worker].lost) else { return [] }
        return upTo.compactMap { producer, sequence in
            let message = ControlMessage.acknowledged(pipeline: registration.id, consumer: address.worker, upTo: sequence)
            if address.stage == 0 { return producer == BatchHeader.driverProducer ? .send(to: driver, message) : nil }
            let from = WorkerAddress(pipeline: registration.id, stage: address.stage - 1, worker: Int(producer))
            guard producer < SendLink.firstProducer, isKnown(from), let identity = slots[from.stage][from.worker].identity,
                  !slots[from.stage][from.worker].exited else { return nil }
            return .send(to: identity, message)
        }
    }

    /// Records skipped items, each once: a replayed batch skips its items again.
    mutating func skipped(_ items: [SkippedItem]) {
        let new = items.filter { skippedIDs.insert(SkippedKey(stage: $0.stage, itemID: $0.itemID)).inserted }
        skippedCount += new.count
        skipped += new.prefix(max(0, Self.skippedKept - skipped.count))
    }

    mutating func workerFinished(_ address: WorkerAddress, _ counters: WorkerCounters) -> [CoordinatorAction] {
        guard isKnown(address) else { return [] }
        slots[address.stage][address.worker].counters = counters
        slots[address.stage][address.worker].finished = true
        return tellToExit(stage: address.stage, worker: address.worker) + completeIfDone()
    }

    // MARK: Links from Pipeline.send

    /// Whether `Pipeline.send` may resolve to this pipeline now.
    var acceptsSenders: Bool { phase == .running }

    /// A process began sending to stage 0: end of stream now waits for its final count too.
    mutating func addInbound(producer: UInt32) {
        openInbound.insert(producer)
    }

    /// Sets the pipelines whose end stage 0 must wait for, though they have not sent yet.
    mutating func awaitSenders(_ senders: Set<String>) -> [CoordinatorAction] {
        guard senders != awaitedSenders else { return [] }
        awaitedSenders = senders
        return advance()
    }

    /// A sending process finished and said how many batches it pushed through its link.
    mutating func inboundFinished(producer: UInt32, batches: UInt64) -> [CoordinatorAction] {
        guard openInbound.remove(producer) != nil else { return [] }
        finalInbound[producer] = batches
        return advance()
    }

    /// Batches of one sending link done by stage 0: counted by the workers for a counted link,
    /// acknowledged per connection for an acknowledged one.
    func received(throughLink producer: UInt32) -> UInt64 {
        let counted = slots.first?.reduce(0) { $0 + ($1.counters.fromSenders[producer] ?? 0) } ?? 0
        return counted + (linkDone[producer]?.values.reduce(0, +) ?? 0)
    }

    /// A first-stage worker acknowledged an acknowledged link's batches up to `sequence`, which
    /// numbers that link's batches to it: so many are done.
    mutating func linkBatchesDone(producer: UInt32, worker: Int, upTo sequence: UInt64) -> [CoordinatorAction] {
        linkDone[producer, default: [:]][worker] = max(linkDone[producer]?[worker] ?? 0, sequence)
        return advance()
    }

    /// One of this pipeline's workers opened a link to another pipeline.
    mutating func addOutbound(_ address: WorkerAddress, producer: UInt32) {
        guard isKnown(address) else { return }
        slots[address.stage][address.worker].unacknowledged.insert(producer)
    }

    /// The receiver counted every batch of a link: its sender may exit when its stage allows.
    mutating func outboundAcknowledged(_ address: WorkerAddress, producer: UInt32) -> [CoordinatorAction] {
        guard isKnown(address) else { return [] }
        slots[address.stage][address.worker].unacknowledged.remove(producer)
        guard slots[address.stage][address.worker].exitHeld else { return [] }
        return tellToExit(stage: address.stage, worker: address.worker)
    }

    /// The driver is stopping: workers abort (running their teardown) and the pipeline fails.
    mutating func stop(because reason: String) -> [CoordinatorAction] {
        fail(FailureReport(code: .interrupted, pipeline: label, reason: reason))
    }

    /// Its driver is gone (exited, or a remote one went silent): nobody can feed or join it.
    mutating func driverLost(_ reason: String) -> [CoordinatorAction] {
        fail(FailureReport(code: .transportFailed, pipeline: label, reason: reason))
    }

    /// A pipeline linked to this one by `Pipeline.send` failed, so this one cannot finish whole.
    mutating func linkedPipelineFailed(_ other: String, because failure: FailureReport) -> [CoordinatorAction] {
        fail(FailureReport(code: .linkedPipelineFailed, pipeline: label,
                           reason: "\(other), linked to this pipeline by Pipeline.send, failed (\(failure.reason)); items between them are lost"))
    }


    /// The failure being handled or reported, if any.
    private(set) var failure: FailureReport?

    var isFailing: Bool {
        if case .failing = phase { return true }
        return phase == .failed
    }

    /// Once everything fed and sent has reached the end, tells every worker to finish.
    private mutating func advance() -> [CoordinatorAction] {
        guard phase == .running, !finishing, feedTotal != nil, openInbound.isEmpty, awaitedSenders.isEmpty,
              finalInbound.allSatisfy({ received(throughLink: $0.key) >= $0.value }) else { return [] }
        finishing = true
        var actions: [CoordinatorAction] = []
        for slot in allSlots where !slot.exited && !slot.toldToExit {
            if let identity = slot.identity { actions.append(.send(to: identity, .finish)) }
        }
        return actions + completeIfDone()
    }

    /// Lets a worker exit, unless a link of its still has batches in flight.
    private mutating func tellToExit(stage: Int, worker: Int) -> [CoordinatorAction] {
        guard !slots[stage][worker].dropped else { return [] }
        guard slots[stage][worker].unacknowledged.isEmpty else {
            slots[stage][worker].exitHeld = true
            return []
        }
        slots[stage][worker].exitHeld = false
        slots[stage][worker].toldToExit = true
        return [.send(to: slots[stage][worker].identity!, .exit)]
    }

    private mutating func completeIfDone() -> [CoordinatorAction] {
        guard phase == .running, finishing, allSlots.allSatisfy(\.exited) else { return [] }
        phase = .finished
        return [.send(to: driver, .finished(pipeline: registration.id, stats: stats(), skipped: skipped, skippedCount: skippedCount))]
    }

    // MARK: Failures

    mutating func stageFailed(_ address: WorkerAddress, _ failure: FailureReport, _ counters: WorkerCounters) -> [CoordinatorAction] {
        if isKnown(address) { slots[address.stage][address.worker].counters = counters }
        return fail(failure)
    }

    mutating func spawnFailed(stage: Int, worker: Int, error: String) -> [CoordinatorAction] {
        if slots[stage][worker].remote { return drop(WorkerAddress(pipeline: registration.id, stage: stage, worker: worker)) }
        return fail(report(WorkerAddress(pipeline: registration.id, stage: stage, worker: worker),
                    reason: "could not start a worker process: \(error)", pid: nil, host: nil))
    }

    /// `held`: the item the worker was running, when its agent could tell.
    mutating func exited(stage: Int, worker: Int, status: ExitStatus, holding held: HeldItem? = nil) -> [CoordinatorAction] {
        var slot = slots[stage][worker]
        slot.exited = true
        slot.runningItem = nil
        slots[stage][worker] = slot
        if slot.dropped { return [] }
        switch phase {
        case .failing:
            return failIfAllExited()
        case .finished, .failed:
            return []
        case .launching, .connecting, .running:
            if slot.toldToExit && status.isSuccess { return completeIfDone() }
            // Its teardown ran and every item had reached the end: nothing is lost.
            if finishing && slot.finished { return completeIfDone() }
            if phase == .running && !finishing {
                return lose(WorkerAddress(pipeline: registration.id, stage: stage, worker: worker), status: status, holding: held)
            }
            if slot.remote && !slot.ready && phase != .running {
                return drop(WorkerAddress(pipeline: registration.id, stage: stage, worker: worker))
            }
            let address = WorkerAddress(pipeline: registration.id, stage: stage, worker: worker)
            let reason: String
            if slot.identity == nil, case .exited = status {
                reason = "the worker \(status) before reaching this pipeline's start(); every process must build and start the same pipelines in the same order (run the program alone to see its own error)"
            } else if slot.identity == nil {
                // Killed, or its host lost: something happened to it, not a fault of the program.
                reason = "the worker \(status) while starting, before it reached this pipeline's start()"
            } else if finishing {
                reason = "the worker \(status) during its teardown; every item had reached the end, but what its teardown would have done is lost"
            } else {
                reason = "the worker \(status) before its stage finished; items it held are lost"
            }
            return fail(report(address, reason: reason, pid: slot.pid, host: slot.host, code: .workerDied))
        }
    }

    /// A worker died mid-stream. Its producers replay what it had not acknowledged, and a
    /// replacement starts while the stage's restarts last. What cannot be replayed fails the
    /// pipeline: batches from `Pipeline.send` links (their senders keep no copies), and what a
    /// dead worker had sent through its own links.
    private mutating func lose(_ address: WorkerAddress, status: ExitStatus, holding held: HeldItem?) -> [CoordinatorAction] {
        let slot = slots[address.stage][address.worker]
        let suspects: [CoordinatorAction]
        switch tracePoison(address, status: status, holding: held) {
        case .failed(let actions): return actions
        case .suspected(let actions): suspects = actions
        }
        let stageLabel = registration.stages[address.stage].label
        let countedAtRisk = openInbound.contains(where: SendLink.isCounted)
            || finalInbound.contains { SendLink.isCounted($0.key) && received(throughLink: $0.key) < $0.value }
        guard address.stage != 0 || !countedAtRisk else {
            return fail(report(address, reason: "the worker \(status) before its stage finished; items it held may have come from another program's Pipeline.send, which keeps no copies, so they are lost",
                               pid: slot.pid, host: slot.host, code: .workerDied))
        }
        slots[address.stage][address.worker].lost = true
        // Suspects first: the workers that get the replay should know which item killed this one.
        var actions: [CoordinatorAction] = suspects + [.send(to: driver, .consumerLost(pipeline: registration.id, stage: address.stage, consumer: address.worker))]
        for (producer, _) in producers(of: address.stage) where producer != driver {
            actions.append(.send(to: producer, .consumerLost(pipeline: registration.id, stage: address.stage, consumer: address.worker)))
        }
        let live = slots[address.stage].filter { !$0.dropped && !$0.exited }.count
        // A worker ended for a timeout was ended on purpose: it is always replaced.
        let timedOut = held?.timedOutAfter != nil
        guard timedOut || restartsLeft[address.stage] > 0 else {
            guard live > 0 else {
                let failure = report(address, reason: "the worker \(status), no worker of the stage is left, and its \(Self.restarts(forProcesses: registration.stages[address.stage].processes)) restarts are used up; items it held are lost",
                                     pid: slot.pid, host: slot.host, code: .workerDied)
                return fail(namingSoleCulprit(failure, stage: address.stage))
            }
            Log.warning("\(label): the \(stageLabel) worker (pid \(slot.pid ?? 0) on \(slot.host ?? "?")) \(status); its unacknowledged batches are replayed to the \(live) other worker(s) (no restarts left)")
            return actions
        }
        if !timedOut { restartsLeft[address.stage] -= 1 }
        var replacement = Slot()
        replacement.agent = driver
        replacement.host = registration.host
        replacement.exited = false
        slots[address.stage].append(replacement)
        let worker = slots[address.stage].count - 1
        let replay = live > 0 ? "are replayed to the \(live) other worker(s) and a replacement starts"
            : "wait for the replacement that starts now"
        Log.warning("\(label): the \(stageLabel) worker (pid \(slot.pid ?? 0) on \(slot.host ?? "?")) \(status); its unacknowledged batches \(replay)")
        let request = WorkerSpawnRequest(address: WorkerAddress(pipeline: registration.id, stage: address.stage, worker: worker),
                                         ordinal: registration.ordinal)
        return actions + [.spawn(agent: driver, request)]
    }

    mutating func tick(now: ContinuousClock.Instant) -> [CoordinatorAction] {
        if case .failing = phase, let deadline = killDeadline, now >= deadline {
            killDeadline = nil
            return allSlots.filter { !$0.exited }.compactMap { $0.pid.map { .kill(pid: $0) } }
        }
        if phase == .launching || phase == .connecting, now >= startDeadline {
            let missing = slots.indices.flatMap { stage in
                slots[stage].indices.filter { slots[stage][$0].ready == false }.map { "\(registration.stages[stage].label) worker \($0)" }
            }
            return fail(FailureReport(
                code: .startFailed, pipeline: label, reason: "workers did not start within \(startTimeout) (\(missing.prefix(5).joined(separator: ", "))); does every process reach this pipeline's start()? (\(EnvironmentVariable.startTimeout.name) sets the limit)"))
        }
        return []
    }

    /// The next moment `tick` has something to do.
    var nextDeadline: ContinuousClock.Instant? {
        if case .failing = phase { return killDeadline }
        return phase == .launching || phase == .connecting ? startDeadline : nil
    }

    mutating func fail(_ failure: FailureReport) -> [CoordinatorAction] {
        switch phase {
        case .failing, .failed, .finished: return []
        default: break
        }
        phase = .failing(failure)
        self.failure = failure
        killDeadline = .now + .seconds(2)
        var actions: [CoordinatorAction] = []
        for slot in allSlots where !slot.exited {
            if let identity = slot.identity { actions.append(.send(to: identity, .abort(reason: failure.reason))) }
        }
        return actions + failIfAllExited()
    }

    private mutating func failIfAllExited() -> [CoordinatorAction] {
        guard case .failing(let failure) = phase, allSlots.allSatisfy(\.exited) else { return [] }
        phase = .failed
        return [.send(to: driver, .failed(failure))]
    }

    // MARK: Helpers

    var allSlots: [Slot] { slots.flatMap { $0 } }

    /// Who pushes into `stage`, by connection identity, with their hosts: the driver for stage
    /// 0, else the previous stage's workers that said hello and still run.
    private func producers(of stage: Int) -> [(identity: [UInt8], host: String?)] {
        if stage == 0 { return [(driver, registration.host)] }
        return slots[stage - 1].compactMap { slot in
            guard let identity = slot.identity, !slot.exited, !slot.dropped else { return nil }
            return (identity, slot.host)
        }
    }

    private func isKnown(_ address: WorkerAddress) -> Bool {
        slots.indices.contains(address.stage) && slots[address.stage].indices.contains(address.worker)
    }

    func report(_ address: WorkerAddress, reason: String, pid: Int32?, host: String?,
                        code: PipelineError.Code = .startFailed) -> FailureReport {
        FailureReport(code: code, pipeline: label, stage: address.stage,
                      stageLabel: registration.stages.indices.contains(address.stage) ? registration.stages[address.stage].label : nil,
                      pid: pid, host: host, item: nil, reason: reason)
    }
}
