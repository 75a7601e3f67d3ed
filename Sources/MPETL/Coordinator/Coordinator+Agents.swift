/// A driver or a worker host, as the coordinator sees it: who starts which workers, and whether
/// it is still there.
struct AgentRecord {
    var host: String
    /// For worker hosts: the program they run and how many workers they may run at once.
    var program: String?
    var slots = 0
    var lastSeen = ContinuousClock.now
    /// Workers it started that have not exited.
    var workers: Set<WorkerAddress> = []

    var isWorkerHost: Bool { program != nil }
    var freeSlots: Int { max(0, slots - workers.count) }
}

/// Starting workers through agents, adding worker hosts' slots to pipelines, and noticing agents
/// that went silent.
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
        let heaviest = registration.stages.indices.max { registration.stages[$0].processes < registration.stages[$1].processes
            || (registration.stages[$0].processes == registration.stages[$1].processes && $0 > $1) } ?? 0
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

    func addWorkerHost(_ info: WorkerHostInfo, identity: [UInt8]) {
        guard info.slots >= 1 else {
            perform([.send(to: identity, .hostRefused(reason: "a worker host needs at least one slot"))])
            return
        }
        // Hosts repeat their introduction as a heartbeat; only the first is news.
        guard agents[identity] == nil else { return }
        agents[identity] = AgentRecord(host: info.host, program: info.program, slots: info.slots)
        perform([.send(to: identity, .hostAccepted)])
        Log.info("worker host \(info.host) joined with \(info.slots) slot(s) for \(info.program)")
    }

    /// An agent silent for too long takes its workers with it: they are lost, not waited for.
    func loseSilentAgents(now: ContinuousClock.Instant) {
        for (identity, agent) in agents where now - agent.lastSeen > AgentLiveness.silenceLimit {
            agents[identity] = nil
            if agent.isWorkerHost { Log.warning("worker host \(agent.host) stopped answering; its workers are lost") }
            for address in agent.workers { workerExited(address, status: .lost) }
        }
    }

    /// A worker ended. If it was lost mid-stream, the `Pipeline.send` links it touched change
    /// too: a first-stage worker's link senders replay to its siblings, and a sender's links
    /// close (what it sent comes again from the workers its inputs are replayed to).
    func workerExited(_ address: WorkerAddress, status: ExitStatus) {
        update(address.pipeline) { $0.exited(stage: address.stage, worker: address.worker, status: status) }
        guard records[address.pipeline]?.slot(at: address)?.lost == true else { return }
        if address.stage == 0 { tellLinkSenders(into: address, .lost) }
        closeLinks(ofLostSender: address)
    }
}
