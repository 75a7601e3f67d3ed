import Foundation
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
    private let coordinator: String
    private let slots: Int
    private let program: String
    private let arguments: [String]
    private let name: String
    private let advertise: String?
    private let answerTimeout: Duration

    /// - Parameters:
    ///   - coordinator: the coordinator's `tcp://HOST:PORT`.
    ///   - slots: how many workers may run here at once.
    ///   - program: the program's executable here; pipelines of programs with the same file
    ///     name use this host.
    ///   - arguments: its arguments, as the driver was started with.
    ///   - name: this host's name in stats and errors.
    ///   - advertise: the address other hosts reach this one at; by default the address this
    ///     host uses towards the coordinator.
    ///   - answerTimeout: how long the coordinator may take to acknowledge this host; silence
    ///     means nothing listens there, or it refuses this host's key.
    public init(coordinator: String, slots: Int, program: String, arguments: [String], name: String? = nil,
                advertise: String? = nil, answerTimeout: Duration = .seconds(10)) {
        self.answerTimeout = answerTimeout
        self.coordinator = coordinator
        self.slots = slots
        self.program = program
        self.arguments = arguments
        self.name = name ?? Syscalls.hostName
        self.advertise = advertise ?? Syscalls.localAddress(towards: coordinator)
    }

    /// Serves the coordinator until it refuses this host; never returns otherwise.
    /// - Throws: ``PipelineError`` with ``PipelineError/Code/startFailed`` and the coordinator's
    ///   reason when a worker or the host was refused, or ``PipelineError/Code/transportFailed``
    ///   when the coordinator does not answer (nothing there, or another key).
    public func run() throws {
        guard let advertise else {
            throw PipelineError(code: .transportFailed, pipeline: "worker host \(name)",
                                reason: "cannot tell which address of this host other hosts reach (no route to \(coordinator), or a name that does not resolve); give it with --advertise ADDRESS")
        }
        let context = try Context()
        let dealer = try ClusterSecurity.socket(context, type: .dealer, role: .client)
        try dealer.setLinger(milliseconds: 0)
        try dealer.connect(coordinator)
        let runDirectory = try RunDirectory.create()
        var environment = ProcessInfo.processInfo.environment
        environment["MPETL_HOST"] = name
        environment[NetworkExposure.environmentKey] = advertise
        environment[WorkerAssignment.environmentKey] = nil
        let spawner = WorkerSpawner(program: WorkerSpawner.Program(
            executable: program, arguments: [program] + arguments, environment: environment,
            coordinatorEndpoint: coordinator, runDirectory: runDirectory))
        let encoder = MessagePackEncoder()
        let decoder = MessagePackDecoder()
        let introduction = try encoder.encode(ControlMessage.workerHost(WorkerHostInfo(
            host: name, slots: slots, program: program.split(separator: "/").last.map(String.init) ?? program)))
        defer { spawner.killAll() }
        Log.info("worker host \(name) (\(advertise)) offering \(slots) slot(s) of \(program) to \(coordinator)")
        var lastIntroduction = ContinuousClock.now - AgentLiveness.heartbeatInterval
        let started = ContinuousClock.now
        var accepted = false
        let frame = Message()
        while true {
            if !accepted, ContinuousClock.now - started > answerTimeout {
                throw PipelineError(code: .transportFailed, pipeline: "worker host \(name)",
                                    reason: "the coordinator at \(coordinator) did not answer within \(answerTimeout): is it running there, and does --keys (\(ClusterSecurity.environmentKey)) name the cluster's key file?")
            }
            // The introduction doubles as the heartbeat, so a coordinator that lost this host
            // (a network cut) learns it again as soon as the link is back.
            if ContinuousClock.now - lastIntroduction >= AgentLiveness.heartbeatInterval {
                lastIntroduction = .now
                // Never block on it: with no connection (nothing listening, or a handshake the
                // coordinator refused) the answer timeout below is what reports the problem.
                _ = try introduction.withUnsafeBytes { try dealer.trySend($0) }
            }
            let poller = Poller()
            let dealerItem = poller.add(dealer, events: .readable)
            let children = spawner.children.map { (pid: $0.key, item: poller.add(fileDescriptor: $0.value.exitDescriptor, events: .readable)) }
            let wait = AgentLiveness.heartbeatInterval - (ContinuousClock.now - lastIntroduction)
            try poller.poll(timeoutMilliseconds: max(0, Int(wait / .milliseconds(1)) + 1))
            for child in children where poller.isReadable(child.item) {
                if let (address, status) = spawner.reap(child.pid) {
                    try dealer.send(try encoder.encode(ControlMessage.workerExited(address, status)))
                }
            }
            guard poller.isReadable(dealerItem) else { continue }
            while try dealer.tryReceive(into: frame) {
                guard let message = frame.controlMessage(decoder) else {
                    Log.warning("worker host dropped a malformed message from the coordinator")
                    continue
                }
                switch message {
                case .spawn(let request):
                    let reply: ControlMessage
                    do {
                        reply = .spawned(request.address, pid: try spawner.spawn(request))
                    } catch {
                        reply = .spawnFailed(request.address, reason: "\(error)")
                    }
                    try dealer.send(try encoder.encode(reply))
                case .killWorker(let pid):
                    spawner.kill(pid)
                case .hostAccepted:
                    accepted = true
                case .hostRefused(let reason):
                    throw PipelineError(code: .startFailed, pipeline: "worker host \(name)", reason: reason)
                default:
                    continue
                }
            }
        }
    }
}
