import ZeroMQ

/// Failures: a stopped driver, a failed stage or linked pipeline, workers that exit early
/// (replayed and replaced while restarts last), start-up that takes too long.
extension PipelineRecord {
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
        fail(
            FailureReport(
                code: .linkedPipelineFailed, pipeline: label,
                reason:
                    "\(other), linked to this pipeline by Pipeline.send, failed (\(failure.reason)); items between "
                    + "them are lost"
            ))
    }

    // MARK: Failures

    mutating func stageFailed(_ address: WorkerAddress, _ failure: FailureReport, _ counters: WorkerCounters)
        -> [CoordinatorAction]
    {
        if isKnown(address) { slots[address.stage][address.worker].counters = counters }
        return fail(failure)
    }

    mutating func spawnFailed(stage: Int, worker: Int, error: String) -> [CoordinatorAction] {
        if slots[stage][worker].remote {
            return drop(WorkerAddress(pipeline: registration.id, stage: stage, worker: worker))
        }
        return fail(
            report(
                WorkerAddress(pipeline: registration.id, stage: stage, worker: worker),
                reason: "could not start a worker process: \(error)", pid: nil, host: nil))
    }

    /// `held`: the items the worker was running, when its agent could tell.
    mutating func exited(stage: Int, worker: Int, status: ExitStatus, holding held: [HeldItem] = [])
        -> [CoordinatorAction]
    {
        // What it was doing when it ended decides what its end means.
        let slot = slots[stage][worker]
        slots[stage][worker].markExited()
        slots[stage][worker].runningItem = nil
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
                return lose(
                    WorkerAddress(pipeline: registration.id, stage: stage, worker: worker), status: status,
                    holding: held)
            }
            if slot.remote && !slot.ready && phase != .running {
                return drop(WorkerAddress(pipeline: registration.id, stage: stage, worker: worker))
            }
            let address = WorkerAddress(pipeline: registration.id, stage: stage, worker: worker)
            let reason: String
            if slot.identity == nil, case .exited = status {
                reason =
                    "the worker \(status) before reaching this pipeline's start(); every process must build and start "
                    + "the same pipelines in the same order (run the program alone to see its own error)"
            } else if slot.identity == nil {
                // Killed, or its host lost: something happened to it, not a fault of the program.
                reason = "the worker \(status) while starting, before it reached this pipeline's start()"
            } else if finishing {
                reason =
                    "the worker \(status) during its teardown; every item had reached the end, but what its teardown "
                    + "would have done is lost"
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
    mutating func lose(_ address: WorkerAddress, status: ExitStatus, holding held: [HeldItem]) -> [CoordinatorAction] {
        let slot = slots[address.stage][address.worker]
        let suspects: [CoordinatorAction]
        switch tracePoison(address, status: status, holding: held) {
        case .failed(let actions): return actions
        case .suspected(let actions): suspects = actions
        }
        let stageLabel = registration.stages[address.stage].label
        let countedAtRisk =
            openInbound.contains(where: SendLink.isCounted)
            || finalInbound.contains { SendLink.isCounted($0.key) && received(throughLink: $0.key) < $0.value }
        guard address.stage != 0 || !countedAtRisk else {
            return fail(
                report(
                    address,
                    reason:
                        "the worker \(status) before its stage finished; items it held may have come from another "
                        + "program's Pipeline.send, which keeps no copies, so they are lost",
                    pid: slot.pid, host: slot.host, code: .workerDied))
        }
        slots[address.stage][address.worker].state = .exited(lost: true, finished: false)
        let lost = ControlMessage.consumerLost(
            pipeline: registration.id, stage: address.stage, consumer: address.worker)
        // Suspects first: the workers that get the replay should know which item killed this one.
        var actions = suspects
        let questions = holdReplay(of: address)
        if let questions {
            // The driver still hears of the loss at once (its collector drops copies from then).
            if address.stage > 0 { actions.append(.send(to: driver, lost)) }
            actions += questions
        } else {
            actions.append(.send(to: driver, lost))
            actions += replays(lost, of: address.stage)
        }
        let waits = questions == nil ? "" : Self.heldNote
        let live = slots[address.stage].filter { !$0.dropped && !$0.exited }.count
        // A worker ended for a timeout was ended on purpose: it is always replaced.
        let timedOut = held.contains { $0.timedOutAfter != nil }
        guard timedOut || restartsLeft[address.stage] > 0 else {
            guard live > 0 else {
                let failure = report(
                    address,
                    reason:
                        "the worker \(status), no worker of the stage is left, and its "
                        + "\(Self.restarts(forProcesses: registration.stages[address.stage].processes)) restarts "
                        + "are used up; items it held are lost",
                    pid: slot.pid, host: slot.host, code: .workerDied)
                return fail(namingSoleCulprit(failure, stage: address.stage))
            }
            Log.warning(
                "\(label): the \(stageLabel) worker (pid \(slot.pid ?? 0) on \(slot.host ?? "?")) \(status); its "
                    + "unacknowledged batches are replayed to the \(live) other worker(s)\(waits) (no restarts left)"
            )
            return actions
        }
        if !timedOut { restartsLeft[address.stage] -= 1 }
        var replacement = Slot()
        replacement.agent = driver
        replacement.host = registration.host
        replacement.state = .starting
        slots[address.stage].append(replacement)
        let worker = slots[address.stage].count - 1
        let replay =
            live > 0
            ? "are replayed to the \(live) other worker(s)\(waits) and a replacement starts"
            : "wait for the replacement that starts now"
        Log.warning(
            "\(label): the \(stageLabel) worker (pid \(slot.pid ?? 0) on \(slot.host ?? "?")) \(status); its "
                + "unacknowledged batches \(replay)"
        )
        let request = WorkerSpawnRequest(
            address: WorkerAddress(pipeline: registration.id, stage: address.stage, worker: worker),
            ordinal: registration.ordinal)
        return actions + [.spawn(agent: driver, request)]
    }

    /// Whether a replay must wait for the driver's `copiesDropped`: until its results collector
    /// drops copies, a copy the replay sends could reach it before the news of the loss, and be
    /// kept beside its original.
    var awaitsCollector: Bool {
        registration.confirmsLosses == true && !registration.collectorEndpoints.isEmpty && !collectorDropsCopiesNow
    }

    /// The driver's collector drops copies from now on: the replays held for it go out.
    mutating func collectorDropsCopies() -> [CoordinatorAction] {
        collectorDropsCopiesNow = true
        defer { replaysAwaitingCollector = [] }
        return isDone ? [] : replaysAwaitingCollector
    }

    mutating func tick(now: ContinuousClock.Instant) -> [CoordinatorAction] {
        if case .failing = phase, let deadline = killDeadline, now >= deadline {
            killDeadline = nil
            return allSlots.filter { !$0.exited }.compactMap { $0.pid.map { .kill(pid: $0) } }
        }
        if phase == .launching || phase == .connecting, now >= startDeadline {
            let missing = slots.indices.flatMap { stage in
                slots[stage].indices.filter { slots[stage][$0].ready == false }.map {
                    "\(registration.stages[stage].label) worker \($0)"
                }
            }
            return fail(
                FailureReport(
                    code: .startFailed, pipeline: label,
                    reason:
                        "workers did not start within \(startTimeout) (\(missing.prefix(5).joined(separator: ", "))); "
                        + "does every process reach this pipeline's start()? "
                        + "(\(EnvironmentVariable.startTimeout.name) sets the limit)"
                ))
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

    mutating func failIfAllExited() -> [CoordinatorAction] {
        guard case .failing(let failure) = phase, allSlots.allSatisfy(\.exited) else { return [] }
        phase = .failed
        return [.send(to: driver, .failed(failure))]
    }
}
