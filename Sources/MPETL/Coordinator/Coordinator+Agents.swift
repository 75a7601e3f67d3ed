import Foundation

/// A driver or a worker host, as the coordinator sees it: who starts which workers, and whether
/// it is still there.
struct AgentRecord {
    var host: String
    /// For worker hosts: the program they run and how many workers they may run at once.
    var program: String?
    var slots = 0
    /// Its process, once it said `agentHello`.
    var process: ProcessIdentity?
    /// A pidfd on a local agent's process: readable once it exits. Nil for a remote agent,
    /// which only its heartbeats vouch for.
    var exitDescriptor: Int32?
    /// Workers it started that have not exited.
    var workers: Set<WorkerAddress> = []

    var isWorkerHost: Bool { program != nil }
    var isLocal: Bool { exitDescriptor != nil }
    var freeSlots: Int { max(0, slots - workers.count) }
}

/// Starting workers through agents, adding worker hosts' slots to pipelines, and noticing agents
/// that are gone.
extension CoordinatorLoop {
    /// Asks the driver for the declared workers, and worker hosts of the same program for more.
    ///
    /// The rule for worker hosts: when a pipeline starts, every connected host running a program
    /// with the same file name gives all its free slots to the pipeline's stage with the most
    /// declared processes (the first such stage on a tie), where they share the load with the
    /// driver's own workers. Hosts that connect later join pipelines started after that.
    func startWorkers(of registration: PipelineRegistration, driver: [UInt8]) {
        var requests: [([UInt8], WorkerSpawnRequest)] = []
        for (stage, summary) in registration.stages.enumerated() {
            for worker in 0..<summary.processes {
                update(registration.id) { record in
                    record.assignAgent(driver, stage: stage, worker: worker, host: registration.host)
                    return []
                }
                let address = WorkerAddress(pipeline: registration.id, stage: stage, worker: worker)
                requests.append((driver, WorkerSpawnRequest(address: address, ordinal: registration.ordinal)))
            }
        }
        let program = registration.executable.split(separator: "/").last.map(String.init) ?? registration.executable
        let heaviest =
            registration.stages.indices.max {
                registration.stages[$0].processes < registration.stages[$1].processes
                    || (registration.stages[$0].processes == registration.stages[$1].processes && $0 > $1)
            } ?? 0
        for (identity, agent) in agents.sorted(by: { $0.value.host < $1.value.host }) where agent.program == program {
            for _ in 0..<agent.freeSlots {
                var worker: Int?
                update(registration.id) { record in
                    worker = record.addRemoteSlot(stage: heaviest, agent: identity, host: agent.host)
                    return []
                }
                guard let worker else { break }
                let address = WorkerAddress(pipeline: registration.id, stage: heaviest, worker: worker)
                requests.append((identity, WorkerSpawnRequest(address: address, ordinal: registration.ordinal)))
            }
        }
        for (identity, request) in requests {
            agents[identity]?.workers.insert(request.address)
            perform([.send(to: identity, .spawn(request))])
        }
    }

    /// An agent's first message: watch it through the kernel when it is local, by its
    /// heartbeats otherwise, and tell it who the coordinator is.
    func welcome(_ identity: [UInt8], host: String, process: ProcessIdentity) {
        var agent = agents[identity] ?? AgentRecord(host: host)
        agent.host = host
        agent.process = process
        if process.isLocal, agent.exitDescriptor == nil {
            do {
                agent.exitDescriptor = try Syscalls.exitDescriptor(for: process.pid)
            } catch {
                // Gone already (ESRCH): nothing it asks for can be done.
                agents[identity] = agent
                loseAgent(identity, because: "exited before the coordinator could watch it")
                return
            }
        }
        agents[identity] = agent
        if agent.isLocal { silence.forget(identity) } else { silence.heard(identity) }
        perform([
            .send(
                to: identity,
                .welcome(
                    CoordinatorInfo(
                        process: .current, hostTimeoutMilliseconds: UInt64(hostTimeout / .milliseconds(1)))))
        ])
    }

    /// A new agent record for a driver or host that did not say `agentHello` (an older or
    /// foreign agent): judged by its heartbeats.
    func addAgent(_ identity: [UInt8], _ agent: AgentRecord) {
        agents[identity] = agent
        if !agent.isLocal { silence.heard(identity) }
    }

    func addWorkerHost(_ info: WorkerHostInfo, identity: [UInt8]) {
        guard info.slots >= 1 else {
            perform([.send(to: identity, .hostRefused(reason: "a worker host needs at least one slot"))])
            return
        }
        // Hosts repeat their introduction as a heartbeat; only the first is news, and each is
        // answered, so the host hears that this coordinator is alive.
        guard agents[identity]?.isWorkerHost != true else {
            perform([.send(to: identity, .heartbeat)])
            return
        }
        var agent = agents[identity] ?? AgentRecord(host: info.host)
        agent.host = info.host
        agent.program = info.program
        agent.slots = info.slots
        addAgent(identity, agent)
        perform([.send(to: identity, .hostAccepted)])
        Log.info("worker host \(info.host) joined with \(info.slots) slot(s) for \(info.program)")
    }

    /// Local agents whose process exited: a kernel fact, known at once.
    func loseExitedAgents(_ exited: [[UInt8]]) {
        for identity in exited {
            guard let agent = agents[identity] else { continue }
            let what = agent.isWorkerHost ? "worker host \(agent.host)" : "driver"
            loseAgent(identity, because: "exited (\(what), pid \(agent.process?.pid ?? 0))")
        }
    }

    /// Remote agents silent past the heartbeat timeout, counting only time this coordinator
    /// was awake to hear them.
    func loseSilentAgents(now: ContinuousClock.Instant) {
        silence.woke(at: now)
        for identity in silence.silent(at: now) {
            loseAgent(identity, because: "stopped answering")
        }
    }

    /// An agent is gone: its workers are lost (replayed elsewhere), its pipelines fail if it
    /// was their driver, and a remote one is fenced: whatever it says later is refused, and it
    /// is told to end its workers and join again as a new host.
    func loseAgent(_ identity: [UInt8], because reason: String) {
        guard let agent = agents.removeValue(forKey: identity) else { return }
        silence.forget(identity)
        if let descriptor = agent.exitDescriptor { Syscalls.closeDescriptor(descriptor) }
        // A local agent is gone for good (its messages still queued are dropped quietly); a
        // remote one may only be cut off, and is fenced.
        if agent.process?.isLocal == true { departed.insert(identity) } else { fenced.insert(identity) }
        if agent.isWorkerHost {
            Log.warning("worker host \(agent.host) \(reason); its workers are lost")
        }
        for (id, record) in records where record.driver == identity && !record.isDone {
            update(id) { $0.driverLost("the driver on \(agent.host) \(reason); nobody can feed or join this pipeline") }
        }
        for address in agent.workers { workerExited(address, status: .lost) }
    }

    /// Answers a fenced agent's heartbeats with the reason it was fenced.
    func answerFenced(_ message: ControlMessage, from identity: [UInt8]) {
        switch message {
        case .heartbeat, .workerHost, .agentHello:
            perform([
                .send(
                    to: identity,
                    .fenced(
                        reason:
                            "this agent was silent for longer than the coordinator's heartbeat timeout "
                            + "(\(hostTimeout)) and was declared lost; its workers were replaced"
                    ))
            ])
        default:
            refuse(message, from: identity)
        }
    }

    /// An agent's long-running items: each of its workers shows the item it names, or none.
    /// Items of workers that are not the agent's own are ignored.
    func runningItems(_ items: [RunningItem], from identity: [UInt8]) {
        guard let workers = agents[identity]?.workers else { return }
        let byWorker = Dictionary(
            items.filter { workers.contains($0.address) }.map { ($0.address, $0) }, uniquingKeysWith: { $1 })
        for address in workers {
            update(address.pipeline) { record in
                record.setRunningItem(byWorker[address], of: address)
                return []
            }
        }
    }

    /// A worker ended. If it was lost mid-stream, the `Pipeline.send` links it touched change
    /// too: a first-stage worker's link senders replay to its siblings, and a sender's links
    /// close (what it sent comes again from the workers its inputs are replayed to).
    func workerExited(_ address: WorkerAddress, status: ExitStatus, holding held: [HeldItem] = []) {
        update(address.pipeline) {
            $0.exited(stage: address.stage, worker: address.worker, status: status, holding: held)
        }
        // Any end: a worker that ended answers no more for the stage before.
        update(address.pipeline) { $0.stopAwaiting(address) }
        guard records[address.pipeline]?.slot(at: address)?.lost == true else { return }
        if address.stage == 0 { tellLinkSenders(into: address, .lost) }
        closeLinks(ofLostSender: address)
    }
}
