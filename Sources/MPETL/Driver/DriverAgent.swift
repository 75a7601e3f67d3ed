import Foundation
internal import MessagePack
import Synchronization
import ZeroMQ

/// The driver's one connection to the coordinator, and its results collector.
///
/// A thread owns the DEALER to the coordinator and every pipeline's results PULL. The user's
/// threads hand it work through a queue and wake it with an inproc doorbell, so no socket is
/// ever used by two threads at once.
final class DriverAgent: Sendable {
    enum Command {
        case send(ControlMessage)
        /// Binds the run's results collector when `collects`, then registers the pipeline.
        case register(run: PipelineRun, collects: Bool, registration: PipelineRegistration)
        /// Resolves a named pipeline of another program, as an external sender.
        case resolve(name: String, reply: OneShot<SendRoute, PipelineError>)
        /// Watches an external link: its reply fails if the receiver fails, and succeeds once the
        /// link is closed and all its batches were counted.
        case watchLink(producer: UInt32, reply: OneShot<Void, PipelineError>)
        /// Closes an external link after its last batch.
        case closeLink(producer: UInt32, batches: UInt64)
        /// Stops every pipeline of this driver, waits (briefly) for the workers to tear down,
        /// and ends the process by `signal` itself, so its parent (a shell, `launch`) sees it
        /// was interrupted (status 128 + signal); a second SIGINT ends it at once.
        case stop(signal: Int32)
        /// Sends the run's partial feed batch at `at` (``DispatchTime`` nanoseconds) if it is
        /// still waiting then (see ``AutomaticBatching``).
        case flushFeed(run: PipelineRun, at: UInt64)
        /// Polls the pipe the stop-signal handler writes each signal's number to.
        case watchSignals(descriptor: Int32)
    }

    private let inbox: Inbox
    let loop: LoopHandle

    /// - Parameter embeddedCoordinator: the coordinator runs in this process, so it is never
    ///   judged by its silence.
    init(context: Context, coordinatorEndpoint: Endpoint, embeddedCoordinator: Bool, runDirectory: String) throws {
        let inbox = try Inbox(context: context)
        self.inbox = inbox
        var environment = ProcessInfo.processInfo.environment
        environment[EnvironmentVariable.worker.name] = nil
        // Workers die with this driver already; the launcher is the driver's to watch.
        environment[EnvironmentVariable.launcherPID.name] = nil
        let program = WorkerSpawner.Program(
            executable: Syscalls.executablePath, arguments: CommandLine.arguments, environment: environment,
            coordinatorEndpoint: coordinatorEndpoint, runDirectory: runDirectory)
        let coordinator = CoordinatorWatch(
            endpoint: coordinatorEndpoint, embedded: embeddedCoordinator,
            limit: try Liveness.coordinatorTimeout())
        loop = try LoopThread.start(name: "mpetl-driver-agent", context: context) {
            try AgentLoop(context: context, coordinator: coordinator, inbox: inbox, program: program)
        }
    }

    func send(_ message: ControlMessage) { inbox.enqueue(.send(message)) }

    /// SIGINT, SIGTERM and SIGHUP stop this driver's pipelines cleanly instead of killing the
    /// process outright: workers run their teardown, then the process ends by that signal (a
    /// shell shows 130, 143, 129). A second SIGINT (Ctrl-C pressed again) ends it at once; a
    /// repeated SIGHUP or SIGTERM (a closed terminal sends two, `timeout` and service managers
    /// signal the whole group) changes nothing.
    ///
    /// The handler is in place when this returns: a signal sent a moment later is not lost.
    func stopOnInterrupt() throws {
        inbox.enqueue(.watchSignals(descriptor: try Syscalls.watchStopSignals([SIGINT, SIGTERM, SIGHUP])))
    }

    func enqueue(_ command: Command) { inbox.enqueue(command) }

    /// Stops the agent's thread and waits for it: running pipelines fail, workers are ended.
    func stop() {
        loop.stop()
        loop.join()
    }

    /// Commands from the user's threads to the agent thread, with a doorbell to wake it.
    final class Inbox: @unchecked Sendable {
        let endpoint = "inproc://mpetl-driver-agent-\(UUID().uuidString)"
        // `commands` and the doorbell socket are only touched while holding `lock`.
        private let lock = NSLock()
        private var commands: [Command] = []
        private let doorbell: Socket

        init(context: Context) throws {
            doorbell = try Socket(context, type: .push)
            // inproc allows connecting before the agent thread binds.
            try doorbell.connect(endpoint)
        }

        func enqueue(_ command: Command) {
            lock.lock()
            defer { lock.unlock() }
            commands.append(command)
            try? doorbell.send([0])
        }

        func take() -> [Command] {
            lock.lock()
            defer { lock.unlock() }
            let taken = commands
            commands.removeAll()
            return taken
        }
    }
}

/// The agent thread's sockets and bookkeeping; never leaves that thread.
private final class AgentLoop: ThreadLoop {
    private struct Collector {
        var run: PipelineRun
        var socket: Socket
        var ordinal: UInt32
        var stage: Int
        var counters = WorkerCounters(resultsKept: 0)
        var reportedBatches: UInt64 = 0
        var lastReport = ContinuousClock.now
        var warnedMalformed = false
        var receipts = ResultReceipts()
    }

    private let context: Context
    private let dealer: Socket
    /// What could not leave yet: the loop never blocks on the coordinator.
    private var outbox = ControlOutbox()
    private let doorbell: Socket
    private let inbox: DriverAgent.Inbox
    private let spawner: WorkerSpawner
    private let runDirectory: String
    private var lastHeartbeat = ContinuousClock.now
    private var coordinator: CoordinatorWatch
    /// Set once the coordinator is gone: every pipeline started later fails with it at once.
    private var coordinatorLost: PipelineError?
    /// Set once a stop signal arrived: that signal, and the latest moment to end by it.
    private var stopping: (signal: Int32, deadline: ContinuousClock.Instant)?
    /// The read end of the stop-signal pipe, once the driver handles signals.
    private var stopSignals: Int32?
    private var runs: [String: PipelineRun] = [:]
    /// What each run's feed was last reported at (see ``reportFeedProgress()``).
    private var reportedFeeds: [String: (items: UInt64, expected: UInt64?)] = [:]
    /// When a worker's item next reaches its stage's timeout, if one is timed.
    private var nextItemTimeout: ContinuousClock.Instant?
    /// Feeds with a partial batch to send once it has lingered, by run id, with when.
    private var lingeringFeeds: [String: (run: PipelineRun, at: UInt64)] = [:]
    private var collectors: [String: Collector] = [:]
    /// External sends waiting for the coordinator: routes by name, acknowledgements by link.
    private var pendingRoutes: [String: [OneShot<SendRoute, PipelineError>]] = [:]
    private var pendingLinks: [UInt32: OneShot<Void, PipelineError>] = [:]
    private let encoder = MessagePackEncoder()
    private let decoder = MessagePackDecoder()
    private let frame = Message()

    init(context: Context, coordinator: CoordinatorWatch, inbox: DriverAgent.Inbox, program: WorkerSpawner.Program)
        throws
    {
        self.context = context
        self.inbox = inbox
        spawner = WorkerSpawner(program: program)
        self.coordinator = coordinator
        runDirectory = program.runDirectory
        doorbell = try Socket(context, type: .pull)
        try doorbell.bind(inbox.endpoint)
        dealer = try ClusterSecurity.socket(context, type: .dealer, role: .client)
        try dealer.setLinger(milliseconds: 0)
        // Queue without limit rather than block: a coordinator that died must be noticed by
        // this loop, not wait on a send for ever. Control messages are small and few.
        try dealer.setSendHighWaterMark(0)
        try dealer.connect(coordinator.endpoint)
        try outbox.send(
            try encoder.encode(ControlMessage.agentHello(host: Syscalls.hostName, process: .current)), through: dealer)
    }

    /// The shortest gap between two progress reports of a collector (as for workers).
    private static let reportInterval: Duration = .milliseconds(10)

    /// Tells the coordinator how far each open feed got, and how far it will go, when that
    /// changed: progress displays in other processes (`launch`, `serve`) show it.
    private func reportFeedProgress() throws {
        for (id, run) in runs where !run.isDone {
            let now = (items: run.itemsFed, expected: run.expectedItems)
            let last = reportedFeeds[id]
            guard last?.items != now.items || last?.expected != now.expected else { continue }
            reportedFeeds[id] = now
            try send(.feedProgress(pipeline: id, items: now.items, expected: now.expected))
        }
    }

    func run(until stop: StopRequest) {
        while true {
            let poller = Poller()
            let stopItem = poller.add(stop.socket, events: .readable)
            let doorbellItem = poller.add(doorbell, events: .readable)
            let dealerItem = poller.add(dealer, events: outbox.wantsRoom ? [.readable, .writable] : .readable)
            let watched = collectors.map { (id: $0.key, item: poller.add($0.value.socket, events: .readable)) }
            let children = spawner.children.map {
                (pid: $0.key, item: poller.add(fileDescriptor: $0.value.exitDescriptor, events: .readable))
            }
            let coordinatorExit = coordinator.exitDescriptor.map { poller.add(fileDescriptor: $0, events: .readable) }
            let signalItem = stopSignals.map { poller.add(fileDescriptor: $0, events: .readable) }
            // Wake when an unreported collector's report is due, and to say this driver is alive.
            let due =
                ([stopping?.deadline].compactMap { $0 }
                + collectors.values.filter { $0.counters.batchesIn != $0.reportedBatches }
                .map { $0.lastReport + Self.reportInterval } + collectors.values.compactMap(\.receipts.nextReport)
                + [lastHeartbeat + Liveness.heartbeatInterval] + [coordinator.nextDeadline].compactMap { $0 }
                + lingeringFeeds.values.map {
                    ContinuousClock.now + .nanoseconds(Int64(bitPattern: $0.at &- DispatchTime.now().uptimeNanoseconds))
                }
                + [nextItemTimeout].compactMap { $0 }).min()
            let timeout = due.map { max(0, Int(ContinuousClock.now.duration(to: $0) / .milliseconds(1)) + 1) }
            do {
                try poller.poll(timeoutMilliseconds: timeout)
                if poller.isReadable(stopItem) {
                    shutDown()
                    return
                }
                if poller.isReadable(doorbellItem) { try runCommands() }
                if let signalItem, poller.isReadable(signalItem), let stopSignals {
                    for number in Syscalls.readAvailable(stopSignals) { try interrupted(by: Int32(number)) }
                }
                if poller.isReadable(dealerItem) { try receiveControlMessages() }
                if outbox.wantsRoom { try outbox.flush(through: dealer) }
                for collector in watched where poller.isReadable(collector.item) { try collect(collector.id) }
                for child in children where poller.isReadable(child.item) {
                    if let exited = spawner.reap(child.pid) { try send(exited) }
                }
                try reportDueProgress()
                flushLingeringFeeds()
                let items = spawner.watchItems()
                nextItemTimeout = items.nextTimeout
                if let report = items.report { try send(report) }
                if let loss = coordinator.check(exited: coordinatorExit.map { poller.isReadable($0) } ?? false) {
                    coordinatorIsGone(loss.error)
                }
                if let stopping, spawner.children.isEmpty || ContinuousClock.now >= stopping.deadline {
                    spawner.killAll()
                    Syscalls.endBySignal(stopping.signal)
                }
                if coordinatorLost == nil, ContinuousClock.now - lastHeartbeat >= Liveness.heartbeatInterval {
                    lastHeartbeat = .now
                    try reportFeedProgress()
                    // A heartbeat that cannot leave now is simply skipped.
                    _ = try encoder.encode(ControlMessage.heartbeat).withUnsafeBytes { try dealer.trySend($0) }
                }
            } catch {
                Log.warning("driver agent stopped: \(error)")
                let failure = PipelineError(
                    code: .transportFailed, pipeline: "driver",
                    reason: "the driver's connection to the coordinator failed: \(error)")
                for run in runs.values { run.markFailed(failure) }
                return
            }
        }
    }

    private func flushLingeringFeeds() {
        guard !lingeringFeeds.isEmpty else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        for (id, feed) in lingeringFeeds where feed.at <= now {
            lingeringFeeds[id] = nil
            feed.run.flushLingeringFeed()
        }
    }

    private func runCommands() throws {
        while try doorbell.tryReceive(into: frame) {}
        for command in inbox.take() {
            switch command {
            case .send(let message):
                try send(message)
            case .register(let run, let collects, var registration):
                if let coordinatorLost {
                    run.markFailed(
                        PipelineError(code: coordinatorLost.code, pipeline: run.label, reason: coordinatorLost.reason))
                    continue
                }
                runs[run.id] = run
                if collects {
                    let socket = try ClusterSecurity.socket(context, type: .pull, role: .server)
                    try socket.setLinger(milliseconds: 0)
                    let endpoint = Endpoint.ipc(path: "\(runDirectory)/results-\(registration.ordinal).sock")
                    try socket.bind(endpoint)
                    registration.collectorEndpoints = [endpoint]
                    if let address = NetworkExposure.advertisedAddress {
                        try socket.bind(.tcp(host: address, port: nil))
                        registration.collectorEndpoints.append(try socket.lastEndpoint())
                    }
                    collectors[run.id] = Collector(
                        run: run, socket: socket, ordinal: registration.ordinal,
                        stage: registration.stages.count)
                }
                try send(.register(registration))
            case .resolve(let name, let reply):
                if let coordinatorLost {
                    reply.fulfill(.failure(coordinatorLost))
                    continue
                }
                pendingRoutes[name, default: []].append(reply)
                try send(.resolve(name: name, from: .external))
            case .watchLink(let producer, let reply):
                if let coordinatorLost {
                    reply.fulfill(.failure(coordinatorLost))
                    continue
                }
                pendingLinks[producer] = reply
            case .closeLink(let producer, let batches):
                try send(.sendsClosed(producer: producer, batches: batches))
            case .stop(let signal):
                try interrupted(by: signal)
            case .flushFeed(let run, let at):
                lingeringFeeds[run.id] = (run, min(at, lingeringFeeds[run.id]?.at ?? at))
            case .watchSignals(let descriptor):
                stopSignals = descriptor
            }
        }
    }

    /// A stop signal: the coordinator aborts the workers, each runs its teardown and exits, then
    /// the process ends by the signal. Ctrl-C pressed again ends it at once.
    private func interrupted(by signal: Int32) throws {
        if let stopping {
            guard signal == SIGINT, stopping.signal == SIGINT else { return }
            spawner.killAll()
            Syscalls.endBySignal(signal)
        }
        stopping = (signal, .now + .seconds(3))
        // With the coordinator gone, nobody would abort the workers: end them now.
        if coordinatorLost != nil { spawner.killAll() }
        let name =
            signal == SIGINT
            ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : signal == SIGHUP ? "SIGHUP" : "signal \(signal)"
        try send(.driverStopping(reason: "the driver received \(name) and stopped its pipelines"))
    }

    /// Stopped with this driver's runtime: what is still running is failed and its workers ended.
    private func shutDown() {
        failEverythingWaiting(
            PipelineError(
                code: .transportFailed, pipeline: "driver", reason: "this program's MPETL runtime was shut down"))
        spawner.reapAll()
    }

    /// A coordinator that is gone will never finish these pipelines: fail them with `failure`
    /// and end this driver's workers, which nobody else would end.
    private func coordinatorIsGone(_ failure: PipelineError) {
        guard coordinatorLost == nil else { return }
        coordinatorLost = failure
        outbox.discard()
        Log.warning("\(failure.reason)")
        failEverythingWaiting(failure)
    }

    /// Fails every run and every send waiting on the coordinator with `failure`, and ends this
    /// driver's workers.
    private func failEverythingWaiting(_ failure: PipelineError) {
        for run in runs.values {
            run.markFailed(PipelineError(code: failure.code, pipeline: run.label, reason: failure.reason))
        }
        runs.removeAll()
        for reply in pendingRoutes.values.flatMap({ $0 }) { reply.fulfill(.failure(failure)) }
        for reply in pendingLinks.values { reply.fulfill(.failure(failure)) }
        pendingRoutes.removeAll()
        pendingLinks.removeAll()
        collectors.removeAll()
        spawner.killAll()
    }

    private func receiveControlMessages() throws {
        while try dealer.tryReceive(into: frame) {
            coordinator.heard()
            guard let message = frame.controlMessage(decoder) else {
                Log.warning("driver dropped a malformed message from the coordinator")
                continue
            }
            switch message {
            case .ready(let pipeline, let consumers):
                runs[pipeline]?.markRunning(consumers)
            case .acknowledged(let pipeline, let consumer, let upTo):
                runs[pipeline]?.deliverToFeeder(.acknowledged(consumer: consumer, upTo: upTo))
            case .consumerLost(let pipeline, let stage, let consumer, let copies):
                // Replays send items through the stages again: from now on the results
                // collectors drop copies of what they already have.
                for id in collectors.keys { collectors[id]?.receipts.dropsDuplicates = true }
                // Only now may the lost worker's producers replay: every copy comes after this.
                if stage > 0, collectors[pipeline] != nil { try send(.copiesDropped(pipeline: pipeline)) }
                if stage == 0 { runs[pipeline]?.deliverToFeeder(.lost(consumer: consumer, copies: copies ?? [])) }
            case .consumerAdded(let pipeline, let stage, let consumer):
                if stage == 0 { runs[pipeline]?.deliverToFeeder(.added(consumer)) }
            case .finished(let pipeline, let stats, let skipped, let skippedCount):
                collectors[pipeline] = nil
                runs.removeValue(forKey: pipeline)?.markFinished(
                    JoinReport(stats: stats, skipped: skipped, skippedCount: skippedCount))
            case .failed(let report):
                let id =
                    runs.keys.first { $0 == report.pipeline } ?? runs.first { $0.value.label == report.pipeline }?.key
                if let id {
                    collectors[id] = nil
                    runs.removeValue(forKey: id)?.markFailed(PipelineError(report))
                }
            case .stats(let pipeline, let stats):
                runs[pipeline]?.storeStats(stats)
            case .senderAdded(let pipeline, let sender, let senderLabel):
                runs[pipeline]?.addSender(sender, label: senderLabel)
            case .spawn(let request):
                try send(spawner.answer(request))
            case .killWorker(let pid):
                spawner.kill(pid)
            case .heartbeat:
                break
            case .welcome(let info):
                if let loss = coordinator.welcomed(info) { coordinatorIsGone(loss.error) }
            case .fenced(let reason):
                coordinatorIsGone(
                    PipelineError(
                        code: .transportFailed, pipeline: "driver",
                        reason: "the coordinator at \(coordinator.endpoint) declared this driver lost: \(reason)"))
            case .resolved(let route):
                if let reply = pendingRoutes[route.name]?.first {
                    pendingRoutes[route.name]?.removeFirst()
                    reply.fulfill(.success(route))
                }
            case .unresolved(let name, let code, let reason):
                if let reply = pendingRoutes[name]?.first {
                    pendingRoutes[name]?.removeFirst()
                    reply.fulfill(.failure(PipelineError(code: code, pipeline: name, reason: reason)))
                }
            case .linkAcknowledged(let producer):
                pendingLinks.removeValue(forKey: producer)?.fulfill(.success(()))
            case .linkFailed(let producer, let reason):
                pendingLinks.removeValue(forKey: producer)?.fulfill(
                    .failure(PipelineError(code: .linkedPipelineFailed, pipeline: "Pipeline.send", reason: reason)))
            default:
                Log.warning("driver ignored a control message meant for a worker")
            }
        }
    }

    private func send(_ message: ControlMessage) throws {
        guard coordinatorLost == nil else { return }
        try outbox.send(try encoder.encode(message), through: dealer)
    }

    /// How many results batches a drain takes between looks at the coordinator's messages.
    private static let controlCheckBatches = 16

    private func collect(_ id: String) throws {
        guard var collector = collectors[id] else { return }
        var drained = 0
        while drained < 10_000 {
            if drained > 0 && drained % Self.controlCheckBatches == 0 {
                // A lost worker's producers replay only after this driver said its collectors
                // drop copies (copiesDropped); a lost `Pipeline.send` sender's pipeline does not
                // wait for the receiving drivers, so a loss announced while this drains must
                // reach the receipts before the copies its replay brings (three hops behind).
                collectors[id] = collector
                try receiveControlMessages()
                guard let current = collectors[id] else { return }
                collector = current
            }
            guard try collector.socket.tryReceive(into: frame) else { break }
            drained += 1
            let outcome: ResultReceipts.Outcome = frame.withUnsafeBytes { bytes in
                guard let header = try? BatchHeader(parsing: bytes),
                    header.pipeline == collector.ordinal, Int(header.stage) == collector.stage
                else { return .malformed("not a results batch of this pipeline") }
                let outcome = collector.receipts.receive(header, bytes)
                if case .accepted(let results) = outcome {
                    collector.counters.batchesIn += 1
                    collector.counters.itemsIn += UInt64(header.itemCount)
                    if let results {
                        collector.counters.resultsKept? += UInt64(
                            results.withUnsafeBytes { BatchHeader.itemCount(of: $0) })
                        collector.run.appendResults(results)
                    }
                }
                return outcome
            }
            switch outcome {
            case .accepted:
                break
            case .malformed(let reason):
                collector.counters.malformed += 1
                if !collector.warnedMalformed {
                    collector.warnedMalformed = true
                    let peer = frame.peerAddress.map { " from \($0)" } ?? ""
                    Log.warning(
                        "\(collector.run.label): dropped a malformed results message of \(frame.count) bytes\(peer) "
                            + "(\(reason))"
                    )
                }
            case .lostBatches(let reason):
                // The coordinator fails the pipeline as for a failed stage: workers abort, and
                // join() throws this.
                let address = WorkerAddress(pipeline: id, stage: collector.stage, worker: 0)
                let report = FailureReport(
                    code: .transportFailed, pipeline: collector.run.label,
                    reason: "results went missing on the way to the driver (\(reason)); run the pipeline again")
                try send(.stageFailed(address, report, collector.counters))
                collectors[id] = nil
                return
            }
        }
        collectors[id] = collector
    }

    private func reportDueProgress() throws {
        let now = ContinuousClock.now
        for (id, collector) in collectors {
            guard let due = collector.receipts.nextReport, now >= due else { continue }
            let done = collectors[id]!.receipts.takeReport(now: now)
            let address = WorkerAddress(pipeline: id, stage: collector.stage, worker: 0)
            // The counts travel with the acknowledgement: the last one can finish the pipeline,
            // and its stats then hold every result received and kept.
            let counts = DoneItems(
                items: collector.counters.itemsIn, outputs: collector.counters.resultsKept ?? 0)
            try send(.done(address, upTo: done, items: counts))
        }
        for (id, collector) in collectors
        where collector.counters.batchesIn != collector.reportedBatches
            && now - collector.lastReport >= Self.reportInterval
        {
            collectors[id]?.reportedBatches = collector.counters.batchesIn
            collectors[id]?.lastReport = now
            let address = WorkerAddress(pipeline: id, stage: collector.stage, worker: 0)
            try send(.progress(address, collector.counters))
        }
    }
}
