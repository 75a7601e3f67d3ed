import Foundation
import Logging
internal import MessagePack
import ZeroMQ

/// A machine lending worker processes to the pipelines of a coordinator elsewhere: what
/// `mpetl-coordinator worker` runs.
///
/// It connects to the coordinator, offers `slots` workers of `program`, and starts them when a
/// pipeline of a program with the same file name starts; they share the load with the
/// driver's own workers. A worker whose program defines different stages (a different or
/// outdated build) is refused, and then so is the host: ``run()`` throws the reason.
///
/// ```swift
/// let host = WorkerHost(coordinator: "tcp://10.0.0.1:5555", slots: 4,
///                       program: "/opt/etl/bin/my-etl", arguments: ["input.csv"], name: "worker-b")
/// try host.run()
/// ```
public final class WorkerHost {
    private let coordinator: Endpoint
    private let slots: Int
    private let program: String
    private let arguments: [String]
    private let name: String
    private let advertise: String?
    private let answerTimeout: Duration
    private let coordinatorTimeout: Duration

    /// - Parameters:
    ///   - coordinator: the coordinator's `tcp://HOST:PORT`.
    ///   - slots: how many workers may run here at once.
    ///   - program: the program's executable here; pipelines of programs with the same file
    ///     name use this host.
    ///   - arguments: its arguments, as the driver was started with.
    ///   - name: this host's name in stats and errors.
    ///   - advertise: the address other hosts reach this one at; by default the address this
    ///     host uses towards the coordinator.
    ///   - answerTimeout: how long the coordinator may take to answer this host at first;
    ///     silence means nothing listens there, or it refuses this host's key.
    ///   - coordinatorTimeout: how long the coordinator may be silent once it answered before
    ///     this host ends its workers and joins again (never more than half the coordinator's
    ///     own heartbeat timeout). Default 10 seconds.
    ///   - logger: where the host's lines go (see ``Pipeline/init(name:maxSize:logger:progress:)``);
    ///     `nil`: standard error at `MPETL_LOG_LEVEL`.
    /// - Throws: ``PipelineError/Code/invalidDefinition`` when `coordinator` is not an endpoint.
    public init(
        coordinator: String, slots: Int, program: String, arguments: [String], name: String? = nil,
        advertise: String? = nil, answerTimeout: Duration = .seconds(10),
        coordinatorTimeout: Duration = .seconds(10), logger: Logger? = nil
    ) throws {
        if let logger { Log.adopt(logger) }
        do throws(ZMQError) {
            let endpoint = try Endpoint(parsing: coordinator)
            try endpoint.checkConnectable()
            self.coordinator = endpoint
        } catch {
            throw PipelineError(
                code: .invalidDefinition, pipeline: "worker host",
                reason:
                    "the coordinator's address is not an endpoint: \(error.detail); give the tcp://HOST:PORT that "
                    + "`launch --listen` or `serve --listen` uses"
            )
        }
        self.answerTimeout = answerTimeout
        self.coordinatorTimeout = coordinatorTimeout
        self.slots = slots
        self.program = program
        self.arguments = arguments
        self.name = name ?? Syscalls.hostName
        self.advertise = advertise ?? Syscalls.localAddress(towards: self.coordinator)
    }

    /// Serves the coordinator until it refuses this host or is gone; never returns otherwise.
    ///
    /// A coordinator that goes silent (a cut link) for half its heartbeat timeout, or
    /// `coordinatorTimeout` if shorter, makes this host end its workers before the
    /// coordinator replaces them, so two workers never hold the same slot; then it joins again
    /// as a new host. A fenced host (one the coordinator declared lost) does the same.
    /// - Throws: ``PipelineError`` with ``PipelineError/Code/startFailed`` and the coordinator's
    ///   reason when a worker or the host was refused, or ``PipelineError/Code/transportFailed``
    ///   when the coordinator does not answer (nothing there, or another key) or, on this
    ///   host, exited.
    public func run() throws {
        guard let advertise else {
            throw PipelineError(
                code: .transportFailed, pipeline: "worker host \(name)",
                reason:
                    "cannot tell which address of this host other hosts reach (no route to \(coordinator), or a name "
                    + "that does not resolve); give it with --advertise ADDRESS"
            )
        }
        let context = try Context()
        let runDirectory = try RunDirectory.create()
        var environment = ProcessInfo.processInfo.environment
        environment[EnvironmentVariable.host.name] = name
        environment[EnvironmentVariable.advertise.name] = advertise
        environment[EnvironmentVariable.worker.name] = nil
        let spawner = WorkerSpawner(
            program: WorkerSpawner.Program(
                executable: program, arguments: [program] + arguments, environment: environment,
                coordinatorEndpoint: coordinator, runDirectory: runDirectory))
        defer { spawner.killAll() }
        Log.info("worker host \(name) (\(advertise)) offering \(slots) slot(s) of \(program) to \(coordinator)")
        while true {
            let reason = try serveSession(context: context, spawner: spawner)
            spawner.killAll()
            spawner.reapAll()
            Log.warning("worker host \(name): \(reason); its workers were ended, and it joins again as a new host")
        }
    }

    /// One connection to the coordinator, from introduction to its loss; returns why it
    /// ended when this host should join again.
    private func serveSession(context: Context, spawner: WorkerSpawner) throws -> String {
        let dealer = try ClusterSecurity.socket(context, type: .dealer, role: .client)
        try dealer.setLinger(milliseconds: 0)
        try dealer.setSendHighWaterMark(0)
        try dealer.connect(coordinator)
        let encoder = MessagePackEncoder()
        let decoder = MessagePackDecoder()
        // Never block on the coordinator (see ControlOutbox): its silence is the watch's to judge.
        var outbox = ControlOutbox()
        try outbox.send(try encoder.encode(ControlMessage.agentHello(host: name, process: .current)), through: dealer)
        let introduction = try encoder.encode(
            ControlMessage.workerHost(
                WorkerHostInfo(
                    host: name, slots: slots, program: program.split(separator: "/").last.map(String.init) ?? program)))
        var watch = CoordinatorWatch(
            endpoint: coordinator, embedded: false, limit: answerTimeout, setting: "--answer-timeout")
        var lastIntroduction = ContinuousClock.now - Liveness.heartbeatInterval
        var nextItemTimeout: ContinuousClock.Instant?
        let frame = Message()
        while true {
            // The introduction doubles as the heartbeat, so a coordinator that lost this host
            // (a network cut) learns it again as soon as the link is back.
            if ContinuousClock.now - lastIntroduction >= Liveness.heartbeatInterval {
                lastIntroduction = .now
                // Never block on it: with no connection (nothing listening, or a handshake the
                // coordinator refused) the watch's timeout is what reports the problem.
                _ = try introduction.withUnsafeBytes { try dealer.trySend($0) }
            }
            let poller = Poller()
            let dealerItem = poller.add(dealer, events: outbox.wantsRoom ? [.readable, .writable] : .readable)
            let children = spawner.children.map {
                (pid: $0.key, item: poller.add(fileDescriptor: $0.value.exitDescriptor, events: .readable))
            }
            let coordinatorExit = watch.exitDescriptor.map { poller.add(fileDescriptor: $0, events: .readable) }
            let due = [lastIntroduction + Liveness.heartbeatInterval, watch.nextDeadline, nextItemTimeout].compactMap {
                $0
            }.min()!
            try poller.poll(
                timeoutMilliseconds: max(0, Int(ContinuousClock.now.duration(to: due) / .milliseconds(1)) + 1))
            if outbox.wantsRoom { try outbox.flush(through: dealer) }
            for child in children where poller.isReadable(child.item) {
                if let exited = spawner.reap(child.pid) { try outbox.send(try encoder.encode(exited), through: dealer) }
            }
            let items = spawner.watchItems()
            nextItemTimeout = items.nextTimeout
            if let report = items.report { _ = try encoder.encode(report).withUnsafeBytes { try dealer.trySend($0) } }
            if poller.isReadable(dealerItem) {
                while try dealer.tryReceive(into: frame) {
                    watch.heard()
                    guard let message = frame.controlMessage(decoder) else {
                        Log.warning("worker host dropped a malformed message from the coordinator")
                        continue
                    }
                    switch message {
                    case .spawn(let request):
                        try outbox.send(try encoder.encode(spawner.answer(request)), through: dealer)
                    case .killWorker(let pid):
                        spawner.kill(pid)
                    case .welcome(let info):
                        // From now on silence is judged against this host's own limit, cut to
                        // half the coordinator's so workers stop before they are replaced.
                        let limit = min(coordinatorTimeout, .milliseconds(Int(info.hostTimeoutMilliseconds / 2)))
                        var welcomed = CoordinatorWatch(
                            endpoint: coordinator, embedded: false, limit: limit,
                            setting: "--coordinator-timeout, or half the coordinator's --heartbeat-timeout")
                        if let loss = welcomed.welcomed(info) { throw hostError(loss.error) }
                        watch = welcomed
                    case .hostAccepted:
                        continue
                    case .hostRefused(let reason):
                        throw PipelineError(code: .startFailed, pipeline: "worker host \(name)", reason: reason)
                    case .fenced(let reason):
                        return "the coordinator fenced it: \(reason)"
                    default:
                        continue
                    }
                }
            }
            switch watch.check(exited: coordinatorExit.map { poller.isReadable($0) } ?? false) {
            case nil: continue
            case .silent(let error): return error.reason
            // A coordinator that exited, or one that never answered: nothing to join again.
            case .exited:
                // A launch that finished takes its coordinator with it: the usual end of a job.
                throw PipelineError(
                    code: .transportFailed, pipeline: "worker host \(name)",
                    reason:
                        "the coordinator at \(coordinator) exited (a launch that finished, or a serve that stopped); "
                        + "this host ended its workers"
                )
            case .neverAnswered(let error): throw hostError(error)
            }
        }
    }

    private func hostError(_ error: PipelineError) -> PipelineError {
        PipelineError(code: .transportFailed, pipeline: "worker host \(name)", reason: error.reason)
    }
}
