/// Tracing worker deaths to the items that caused them (see ``PoisonLedger``).
extension PipelineRecord {
    enum PoisonVerdict {
        /// The item is a suspect (or was quarantined): tell the stage's workers, then replay.
        case suspected([CoordinatorAction])
        /// The item is poison and the stage does not skip: the pipeline fails naming it.
        case failed([CoordinatorAction])
    }

    /// Counts a worker of `address`'s stage that died while running `held` (empty: between
    /// items; several: a stage running items concurrently, whose culprit cannot be told apart,
    /// so each becomes a suspect and runs alone from then on).
    mutating func tracePoison(_ address: WorkerAddress, status: ExitStatus, holding held: [HeldItem])
        -> PoisonVerdict
    {
        guard !held.isEmpty else {
            poison.recordDeath(stage: address.stage)
            return .suspected([])
        }
        for item in held {
            if let failure = trace(address, status: status, holding: item, alone: held.count == 1) {
                return .failed(failure)
            }
        }
        let list = poison.suspects(of: address.stage)
        let actions: [CoordinatorAction] = slots[address.stage].compactMap { slot in
            guard let identity = slot.identity, !slot.exited, !slot.lost, !slot.dropped else { return nil }
            return .send(to: identity, .suspects(list))
        }
        return .suspected(actions)
    }

    /// Counts the death against one item it held; returns the pipeline's failure if that item
    /// is poison and the stage does not skip.
    private mutating func trace(_ address: WorkerAddress, status: ExitStatus, holding held: HeldItem, alone: Bool)
        -> [CoordinatorAction]?
    {
        let entry = poison.recordDeath(stage: address.stage, holding: held, alone: alone, status: status)
        let stage = registration.stages[address.stage]
        if let seconds = held.timedOutAfter, case .failed(let actions) = timedOut(address, held, after: seconds, entry)
        {
            return actions
        }
        guard entry.crashes >= PoisonLedger.quarantineThreshold else { return nil }
        guard stage.skipsFailedItems == true else {
            let slot = slots[address.stage][address.worker]
            var failure = report(
                address,
                reason:
                    "a poison item: it killed \(entry.killed), every worker that ran it; fix the body for it, or "
                    + "add the stage with onError: .skip to quarantine such items and go on",
                pid: slot.pid, host: slot.host, code: .workerDied)
            failure.item = entry.name(id: held.id)
            failure.workersKilled = entry.deaths
            return fail(failure)
        }
        if entry.quarantine == nil {
            poison.quarantine(stage: address.stage, id: held.id, reason: "quarantined: it killed \(entry.killed)")
            Log.warning(
                "\(label): \(stage.label) quarantined the item \(entry.name(id: held.id)): it killed "
                    + "\(entry.killed); it is skipped and join() reports it"
            )
        }
        return nil
    }

    /// An item ran past its stage's timeout and its worker was ended: under `.skip` it is
    /// quarantined at once, under `.retry(n)` replayed up to n times, else the pipeline fails.
    /// nil: replay it (a retry is left).
    private mutating func timedOut(
        _ address: WorkerAddress, _ held: HeldItem, after seconds: Double,
        _ entry: PoisonLedger.Entry
    ) -> PoisonVerdict? {
        let stage = registration.stages[address.stage]
        let ran = "ran \(String(format: "%.1f", seconds)) s, past the stage's timeout"
        if stage.skipsFailedItems == true {
            if entry.quarantine == nil {
                poison.quarantine(stage: address.stage, id: held.id, reason: "timed out: \(ran); skipped")
                Log.warning("\(label): \(stage.label) skips the item \(held.name): it \(ran)")
            }
            return nil
        }
        if entry.timeouts <= stage.retries ?? 0 { return nil }
        let slot = slots[address.stage][address.worker]
        let times = entry.timeouts > 1 ? " (it timed out \(entry.timeouts) times: each try ran past the limit)" : ""
        var failure = report(
            address,
            reason:
                "the item \(ran)\(times); its worker was ended. Raise the stage's timeout:, or add it with onError: "
                + ".skip to skip such items",
            pid: slot.pid, host: slot.host, code: .timedOut)
        failure.item = held.name
        return .failed(fail(failure))
    }

    /// A stage ran out of workers and restarts: names the item if every worker it lost held it.
    func namingSoleCulprit(_ failure: FailureReport, stage: Int) -> FailureReport {
        guard let (id, entry) = poison.soleCulprit(of: stage), entry.deaths > 1 else { return failure }
        var failure = failure
        failure.item = entry.name(id: id)
        failure.workersKilled = entry.deaths
        failure.reason += "; every worker it lost was running this item (\(entry.killed)): a poison item"
        if entry.statuses.contains(where: \.mayBeOutOfMemory) {
            failure.reason += " (SIGKILL is also what the kernel's OOM killer sends: see dmesg)"
        }
        return failure
    }
}
