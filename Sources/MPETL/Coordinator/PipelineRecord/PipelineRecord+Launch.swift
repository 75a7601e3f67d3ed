import ZeroMQ

/// Launch: workers start, say hello with their endpoints, are wired to their consumers and
/// report ready; worker hosts' slots join or are dropped; replacements join a running pipeline.
extension PipelineRecord {
    // MARK: Launch

    mutating func spawned(stage: Int, worker: Int, pid: Int32, host: String) {
        slots[stage][worker].pid = pid
        slots[stage][worker].host = host
        slots[stage][worker].markStarting()
    }

    /// Records which agent starts a slot, before it is spawned.
    mutating func assignAgent(_ agent: [UInt8], stage: Int, worker: Int, host: String) {
        slots[stage][worker].agent = agent
        slots[stage][worker].host = host
        slots[stage][worker].markStarting()
    }

    /// Adds a worker host's slot to `stage`; returns its worker index. Only while launching.
    mutating func addRemoteSlot(stage: Int, agent: [UInt8], host: String) -> Int? {
        guard phase == .launching, slots.indices.contains(stage) else { return nil }
        var slot = Slot()
        slot.remote = true
        slot.agent = agent
        slot.host = host
        slot.state = .starting
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
    mutating func drop(_ address: WorkerAddress) -> [CoordinatorAction] {
        var slot = slots[address.stage][address.worker]
        slot.state = .dropped
        slot.endpoints = []
        slots[address.stage][address.worker] = slot
        return wireIfAllSaidHello() + startIfAllReady()
    }

    mutating func hello(
        _ address: WorkerAddress, identity: [UInt8], pid: Int32, host: String,
        fingerprint: String, endpoints: [Endpoint], linkEndpoints: [Endpoint] = []
    ) -> [CoordinatorAction] {
        guard isKnown(address), !slots[address.stage][address.worker].dropped else {
            return [
                .send(to: identity, .refuse(reason: "\(label) has no stage \(address.stage) worker \(address.worker)"))
            ]
        }
        guard fingerprint == registration.fingerprint else {
            let reason = BuildIdentity.mismatch(worker: fingerprint, driver: registration.fingerprint, label: label)
            if slots[address.stage][address.worker].remote, let agent = slots[address.stage][address.worker].agent {
                return [
                    .send(to: identity, .refuse(reason: reason)),
                    .send(to: agent, .hostRefused(reason: "a worker on \(host) was refused: \(reason)")),
                ] + drop(address)
            }
            return [.send(to: identity, .refuse(reason: reason))]
                + fail(report(address, reason: reason, pid: pid, host: host))
        }
        slots[address.stage][address.worker].identity = identity
        slots[address.stage][address.worker].pid = pid
        slots[address.stage][address.worker].host = host
        slots[address.stage][address.worker].endpoints = endpoints
        slots[address.stage][address.worker].linkEndpoints = linkEndpoints
        if [.unstarted, .starting].contains(slots[address.stage][address.worker].state) {
            slots[address.stage][address.worker].state = .connected
        }
        if case .failing(let failure) = phase { return [.send(to: identity, .abort(reason: failure.reason))] }
        if phase == .running { return joinReplacement(address) }
        return wireIfAllSaidHello()
    }

    /// Once every worker has said where its input is, tells each where to send its output.
    mutating func wireIfAllSaidHello() -> [CoordinatorAction] {
        guard phase == .launching, allSlots.allSatisfy({ $0.dropped || !$0.endpoints.isEmpty }) else { return [] }
        // A producer that could reach none of its consumers would lose everything it made.
        for stage in slots.indices {
            let consumerCount =
                stage + 1 < slots.count
                ? slots[stage + 1].filter { !$0.dropped }.count
                : registration.collectorEndpoints.isEmpty ? 0 : 1
            for worker in slots[stage].indices
            where !slots[stage][worker].dropped && consumerCount > 0
                && consumers(of: stage + 1, from: slots[stage][worker].host).isEmpty
            {
                let address = WorkerAddress(pipeline: registration.id, stage: stage, worker: worker)
                let slot = slots[stage][worker]
                let reason =
                    "the worker on \(slot.host ?? "?") cannot reach the next stage's workers, which listen only on "
                    + "their own host; run the driver with MPETL_ADVERTISE=ITS_ADDRESS (launch --listen "
                    + "tcp://ADDRESS:PORT sets it)"
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
    mutating func joinReplacement(_ address: WorkerAddress) -> [CoordinatorAction] {
        let slot = slots[address.stage][address.worker]
        guard !finishing else {
            // Everything reached the end meanwhile: nothing is left for it to do.
            slots[address.stage][address.worker].state = .toldToExit(finished: false)
            return [.send(to: slot.identity!, .exit)]
        }
        var actions: [CoordinatorAction] = [
            .send(to: slot.identity!, .assign(consumers: consumers(of: address.stage + 1, from: slot.host)))
        ]
        let suspects = poison.suspects(of: address.stage)
        if !suspects.isEmpty { actions.append(.send(to: slot.identity!, .suspects(suspects))) }
        for (producer, host) in producers(of: address.stage) {
            let reachable = Self.reachable([(slot.host, slot.endpoints)], from: host)
            guard let endpoint = reachable.first else { continue }
            actions.append(
                .send(
                    to: producer,
                    .consumerAdded(
                        pipeline: registration.id, stage: address.stage,
                        ConsumerEndpoint(worker: address.worker, endpoint: endpoint))))
        }
        Log.info(
            "\(label): the replacement \(registration.stages[address.stage].label) worker (pid \(slot.pid ?? 0)) joined"
        )
        return actions
    }

    mutating func workerReady(_ address: WorkerAddress) -> [CoordinatorAction] {
        guard isKnown(address) else { return [] }
        if slots[address.stage][address.worker].state == .connected {
            slots[address.stage][address.worker].state = .running
        }
        return startIfAllReady()
    }

    mutating func startIfAllReady() -> [CoordinatorAction] {
        guard phase == .connecting, allSlots.allSatisfy(\.ready) else { return [] }
        phase = .running
        return [
            .send(to: driver, .ready(pipeline: registration.id, stageZero: consumers(of: 0, from: registration.host)))
        ]
            + advance()
    }
}
