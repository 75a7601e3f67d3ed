import Foundation
internal import MessagePack
import Synchronization
import ZeroMQ

/// The control plane: registers pipelines, starts their worker processes, counts what every
/// stage boundary sent and received, and tells the driver when a pipeline is done or failed.
///
/// It runs on its own thread, owns a ROUTER that workers and drivers reach with DEALERs, and
/// watches its children through pidfds in the same poll, so a dead worker wakes it at once.
/// It never carries data: items go straight from stage to stage.
final class Coordinator: Sendable {
    /// Where workers and drivers connect; local workers use the first.
    let endpoints: [Endpoint]
    /// Every pipeline's stats, refreshed by the coordinator's thread a few times a second.
    let published: PublishedStats
    let loop: LoopHandle

    /// Binds `endpoints` and starts the coordinator's thread.
    /// - Parameter hostTimeout: how long a remote agent may be silent before it is lost.
    init(context: Context, endpoints: [Endpoint], hostTimeout: Duration) throws {
        let published = PublishedStats()
        self.published = published
        // As bound: a wildcard port (`tcp://10.0.0.1:*`) becomes the port the kernel chose.
        let bound = Mutex<[Endpoint]>([])
        loop = try LoopThread.start(name: "mpetl-coordinator", context: context) {
            let loop = try CoordinatorLoop(
                context: context, endpoints: endpoints, published: published, hostTimeout: hostTimeout)
            bound.withLock { $0 = loop.boundEndpoints }
            return loop
        }
        self.endpoints = bound.withLock { $0 }
    }

    /// Stops the coordinator's thread and waits for it: its sockets are closed when this
    /// returns (libzmq's I/O thread frees the endpoints a moment later). Agents and workers
    /// still connected find it gone.
    func stop() {
        loop.stop()
        loop.join()
    }
}

/// The coordinator's latest stats, readable from any thread.
final class PublishedStats: Sendable {
    private let stats = Mutex<[PipelineStats]>([])
    private let hosts = Mutex<[WorkerHostStatus]>([])

    func store(_ value: [PipelineStats]) { stats.withLock { $0 = value } }
    var current: [PipelineStats] { stats.withLock { $0 } }
    func store(_ value: [WorkerHostStatus]) { hosts.withLock { $0 = value } }
    var workerHosts: [WorkerHostStatus] { hosts.withLock { $0 } }
}

/// The coordinator thread's state; never leaves that thread.
final class CoordinatorLoop: ThreadLoop {
    private let context: Context
    /// Where it listens, as bound (a wildcard port resolved).
    let boundEndpoints: [Endpoint]
    /// The endpoint the workers it starts connect to: the first one.
    private var endpoint: Endpoint { boundEndpoints[0] }
    private let router: Socket
    private let published: PublishedStats
    private var lastPublished = ContinuousClock.now
    private var metrics = CoordinatorMetrics()
    var records: [String: PipelineRecord] = [:]
    /// Drivers and worker hosts, by their connection's identity.
    var agents: [[UInt8]: AgentRecord] = [:]
    /// Remote agents' heartbeats; local agents are watched through pidfds instead.
    var silence: SilenceWatch<[UInt8]>
    let hostTimeout: Duration
    /// How long a pipeline's workers may take to start (``Liveness/startTimeout()``).
    let startTimeout: Duration
    /// Connections of remote agents declared lost: everything they say is refused.
    var fenced: Set<[UInt8]> = []
    /// Connections of local agents that exited: what they sent before is dropped unread.
    var departed: Set<[UInt8]> = []
    /// Control messages that did not decode.
    private(set) var malformedMessages = 0
    /// Well-formed messages refused because the sender spoke for someone else.
    var refusedMessages = 0
    /// Untrusted peers may send any amount of garbage: their warnings are rate-limited.
    var untrustedInputWarnings = WarningRateLimit()
    var links: [UInt32: SendLink] = [:]
    var nextProducer = SendLink.firstProducer
    var nextCountedProducer = SendLink.firstCountedProducer
    var pendingLookups: [PendingLookup] = []
    private let encoder = MessagePackEncoder()
    private let decoder = MessagePackDecoder()

    /// How often the published stats are refreshed while anything runs.
    private static let publishInterval: Duration = .milliseconds(100)

    init(context: Context, endpoints: [Endpoint], published: PublishedStats, hostTimeout: Duration) throws {
        self.hostTimeout = hostTimeout
        startTimeout = try Liveness.startTimeout()
        silence = SilenceWatch(limit: hostTimeout)
        self.context = context
        self.published = published
        router = try ClusterSecurity.socket(context, type: .router, role: .server)
        try router.setLinger(milliseconds: 0)
        // A ROUTER drops what it cannot queue for a peer. A worker busy in a long body call
        // reads no control messages meanwhile, and dropping a `consumerLost` or `finish` for
        // it would hang the run: no limit (control messages are small, and a departed peer's
        // queue goes with it).
        try router.setSendHighWaterMark(0)
        var bound: [Endpoint] = []
        for endpoint in endpoints {
            try router.bind(endpoint)
            bound.append(try router.lastEndpoint())
        }
        boundEndpoints = bound
    }

    private func publishIfDue(now: ContinuousClock.Instant) {
        guard now - lastPublished >= Self.publishInterval else { return }
        lastPublished = now
        let stats = allStats()
        published.store(stats)
        metrics.record(stats)
        published.store(
            agents.values.filter(\.isWorkerHost).map {
                WorkerHostStatus(host: $0.host, slots: $0.slots, busy: $0.workers.count)
            }.sorted { $0.host < $1.host })
    }

    private func allStats() -> [PipelineStats] {
        records.values.sorted { ($0.registration.id) < ($1.registration.id) }.map { $0.stats() }
    }

    func run(until stop: StopRequest) {
        defer {
            for agent in agents.values {
                if let descriptor = agent.exitDescriptor { Syscalls.closeDescriptor(descriptor) }
            }
        }
        while true {
            let poller = Poller()
            let stopItem = poller.add(stop.socket, events: .readable)
            let routerItem = poller.add(router, events: .readable)
            let localAgents = agents.compactMap { entry in
                entry.value.exitDescriptor.map {
                    (identity: entry.key, item: poller.add(fileDescriptor: $0, events: .readable))
                }
            }
            var deadlines =
                records.values.compactMap(\.nextDeadline) + pendingLookups.map(\.deadline)
                + [silence.nextDeadline].compactMap { $0 }
            if records.values.contains(where: { !$0.isDone }) || agents.values.contains(where: \.isWorkerHost) {
                deadlines.append(lastPublished + Self.publishInterval)
            }
            let deadline = deadlines.min()
            let timeout = deadline.map { max(0, Int(ContinuousClock.now.duration(to: $0) / .milliseconds(1)) + 1) }
            do {
                try poller.poll(timeoutMilliseconds: timeout)
            } catch {
                Log.warning("coordinator poll failed: \(error)")
                return
            }
            if poller.isReadable(stopItem) { return }
            if poller.isReadable(routerItem) { receiveControlMessages() }
            loseExitedAgents(localAgents.filter { poller.isReadable($0.item) }.map(\.identity))
            let now = ContinuousClock.now
            loseSilentAgents(now: now)
            for (id, record) in records where !record.isDone { update(id) { $0.tick(now: now) } }
            retryPendingLookups(now: now)
            publishIfDue(now: now)
        }
    }

    private func receiveControlMessages() {
        while true {
            let frames: [[UInt8]]
            do {
                frames = try router.receiveMultipart(flags: .dontWait)
            } catch {
                if error.code != .wouldBlock { Log.warning("coordinator receive failed: \(error)") }
                return
            }
            guard frames.count == 2, let message = try? decoder.decode(ControlMessage.self, from: frames[1]) else {
                malformedMessages += 1
                if let held = untrustedInputWarnings.admit("malformed") {
                    Log.warning(
                        "coordinator dropped a malformed control message (\(frames.count) frames) from peer "
                            + "\(PeerIdentity.describe(frames.first ?? []))\(untrustedInputWarnings.suffix(held: held))"
                    )
                }
                continue
            }
            guard !departed.contains(frames[0]) else { continue }
            guard !fenced.contains(frames[0]) else {
                answerFenced(message, from: frames[0])
                continue
            }
            guard isAuthorized(message, from: frames[0]) else {
                refuse(message, from: frames[0])
                continue
            }
            if silence.lastHeard[frames[0]] != nil { silence.heard(frames[0]) }
            handle(message, from: frames[0])
        }
    }

    private func handle(_ message: ControlMessage, from identity: [UInt8]) {
        switch message {
        case .register(let registration):
            register(registration, driver: identity)
        case .feedProgress(let pipeline, let items, let expected):
            update(pipeline) {
                $0.itemsFed = items
                $0.expectedItems = expected
                return []
            }
        case .copiesDropped(let pipeline):
            update(pipeline) { $0.collectorDropsCopies() }
        case .feedComplete(let pipeline, let batches, let items):
            update(pipeline) { $0.feedComplete(batches: batches, items: items) }
        case .done(let address, let upTo, let items):
            if let items { update(address.pipeline) { $0.noteDone(address, items) } }
            if let record = records[address.pipeline] { perform(record.acknowledgements(from: address, upTo: upTo)) }
            if address.stage == 0 { relayLinkAcknowledgements(from: address, upTo) }
        case .resolve(let name, let from):
            resolve(name, from: from, identity: identity)
        case .sendsClosed(let producer, let batches):
            closeExternalLink(producer, batches: batches)
        case .driverStopping(let reason):
            for (id, record) in records where record.driver == identity && !record.isDone {
                update(id) { $0.stop(because: reason) }
            }
        case .statusRequest:
            perform([.send(to: identity, .status(allStats()))])
        case .statsRequest(let pipeline):
            if let record = records[pipeline] {
                perform([.send(to: identity, .stats(pipeline: pipeline, stats: record.stats()))])
            }
        case .hello(let address, let pid, let host, let fingerprint, let inputEndpoints, let linkEndpoints):
            guard records[address.pipeline] != nil else {
                perform([
                    .send(
                        to: identity,
                        .refuse(reason: "no pipeline \(address.pipeline) is registered with this coordinator"))
                ])
                return
            }
            let replacement = records[address.pipeline]?.phase == .running
            update(address.pipeline) {
                $0.hello(
                    address, identity: identity, pid: pid, host: host, fingerprint: fingerprint,
                    endpoints: inputEndpoints,
                    linkEndpoints: linkEndpoints ?? [])
            }
            if replacement && address.stage == 0 { tellLinkSenders(into: address, .added) }
        case .workerHost(let info):
            addWorkerHost(info, identity: identity)
        case .agentHello(let host, let process):
            welcome(identity, host: host, process: process)
        case .spawned(let address, let pid):
            update(address.pipeline) { record in
                record.spawned(
                    stage: address.stage, worker: address.worker, pid: pid, host: self.agents[identity]?.host ?? "?")
                return []
            }
        case .spawnFailed(let address, let reason):
            update(address.pipeline) { $0.spawnFailed(stage: address.stage, worker: address.worker, error: reason) }
        case .workerExited(let address, let status, let held, let alsoHeld):
            agents[identity]?.workers.remove(address)
            workerExited(address, status: status, holding: (held.map { [$0] } ?? []) + (alsoHeld ?? []))
        case .runningItems(let items):
            runningItems(items, from: identity)
        case .heartbeat:
            // Answered, so drivers notice a coordinator that went away.
            perform([.send(to: identity, .heartbeat)])
        case .workerReady(let address):
            update(address.pipeline) { $0.workerReady(address) }
        case .progress(let address, let counters):
            update(address.pipeline) { $0.progress(address, counters) }
            if address.stage == 0 { acknowledgeLinks(into: address.pipeline) }
        case .stageFailed(let address, let report, let counters):
            update(address.pipeline) { $0.stageFailed(address, report, counters) }
        case .skipped(let address, let items):
            update(address.pipeline) { record in
                record.skipped(items)
                return []
            }
        case .originalsRan(let address, let producer, let ids):
            update(address.pipeline) { $0.originalsRan(address, producer: producer, ids: ids) }
        case .workerFinished(let address, let counters):
            update(address.pipeline) { $0.workerFinished(address, counters) }
            finishLinks(of: address, counters)
            if address.stage == 0 { acknowledgeLinks(into: address.pipeline) }
        case .ready, .finished, .failed, .stats, .senderAdded, .resolved, .linkAcknowledged, .linkFailed, .status,
            .unresolved, .spawn, .killWorker, .hostRefused, .hostAccepted, .welcome, .fenced, .assign, .suspects,
            .refuse, .finish, .exit, .abort, .acknowledged, .consumerLost, .consumerAdded, .producerLost:
            Log.warning("coordinator ignored a message meant for a worker or driver")
        }
    }

    private func register(_ registration: PipelineRegistration, driver: [UInt8]) {
        guard records[registration.id] == nil else {
            perform([
                .send(
                    to: driver,
                    .failed(
                        FailureReport(
                            code: .alreadyStarted, pipeline: registration.id,
                            reason: "a pipeline with this id is already registered")))
            ])
            return
        }
        if let name = registration.name,
            let holder = records.values.first(where: { $0.registration.name == name && !$0.isDone })
        {
            perform([
                .send(
                    to: driver,
                    .failed(
                        FailureReport(
                            code: .duplicateName, pipeline: registration.id,
                            reason:
                                "another running pipeline is already named \"\(name)\" (started by "
                                + "\(holder.registration.executable)); names must be unique while their pipelines "
                                + "run: choose another name or join the other pipeline first"
                        )))
            ])
            return
        }
        records[registration.id] = PipelineRecord(
            registration: registration, driver: driver, startTimeout: startTimeout)
        Log.debug(
            "pipeline registered",
            ["pipeline": "\(records[registration.id]!.label)", "stages": "\(registration.stages.count)"])
        if agents[driver] == nil { addAgent(driver, AgentRecord(host: registration.host)) }
        updateAwaitedSenders(of: driver)
        startWorkers(of: registration, driver: driver)
    }

    func update(_ pipeline: String, _ change: (inout PipelineRecord) -> [CoordinatorAction]) {
        guard var record = records[pipeline] else { return }
        let wasFailing = record.isFailing
        let wasDone = record.isDone
        let actions = change(&record)
        if record.isDone, !wasDone { record.endedAt = .now }
        records[pipeline] = record
        perform(actions)
        if !wasFailing, record.isFailing, let failure = record.failure {
            failLinkedPipelines(of: pipeline, label: record.label, failure)
        }
        if record.isDone, !wasDone {
            // Only a pipeline finishing changes what the others of its program wait for.
            updateAwaitedSenders(of: record.driver)
            forgetOldPipelines()
            let stats = allStats()
            published.store(stats)
            metrics.record(stats)
            Log.debug(
                record.phase == .finished ? "pipeline finished" : "pipeline failed", ["pipeline": "\(record.label)"])
        }
    }

    /// Ended pipelines whose records a coordinator keeps (for `status`, the dashboard and a
    /// late `Pipeline.send` to a finished name): the newest, once all their processes are gone.
    /// A `serve` coordinator sees pipelines without end; 64 is more than a screen shows.
    static let endedPipelinesKept = 64

    private func forgetOldPipelines() {
        let ended = records.values.filter { $0.isDone && $0.allSlots.allSatisfy(\.exited) }
        guard ended.count > Self.endedPipelinesKept else { return }
        for record in ended.sorted(by: { $0.registeredAt < $1.registeredAt }).dropLast(Self.endedPipelinesKept) {
            records[record.registration.id] = nil
        }
    }

    func perform(_ actions: [CoordinatorAction]) {
        for action in actions {
            switch action {
            case .send(let identity, let message):
                do {
                    try router.send(multipart: [identity, try encoder.encode(message)])
                } catch {
                    Log.warning("coordinator could not send \(message) to peer \(identity): \(error)")
                }
            case .spawn(let agent, let request):
                agents[agent]?.workers.insert(request.address)
                perform([.send(to: agent, .spawn(request))])
            case .kill(let pid):
                // Only the agent that started a worker can kill it: pids are per host.
                if let agent = records.values.lazy.compactMap({ $0.agent(ofPid: pid) }).first {
                    perform([.send(to: agent, .killWorker(pid: pid))])
                }
            }
        }
    }
}
