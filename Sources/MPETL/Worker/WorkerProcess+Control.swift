internal import MessagePack
import ZeroMQ

/// A worker's conversation with the coordinator: what it reports (done batches, progress,
/// skipped items, failures), what it is told (acknowledgements, lost and added consumers,
/// finish, exit, abort), and the waits during which it keeps listening.
extension WorkerProcess {
    /// Tells the coordinator which input batches are done, for it to relay to their producers;
    /// a ``Committing`` stage state commits first, so nothing acknowledged is still held back.
    /// Never called in the middle of a body call when the state commits.
    func reportDone() throws {
        guard ledger.hasNews else { return }
        // Skips first: once its batch is acknowledged, a skipped item is never run again, so a
        // skip not yet reported when this worker dies would be lost.
        try reportSkipped()
        do {
            try runner.commit()
        } catch {
            try reportFailure(item: nil, reason: "commit() threw: \(error)", cause: error)
        }
        ledger.markReported()
        lastDoneReport = Self.nanoseconds
        try sendControl(
            .done(
                assignment.address, upTo: ledger.done.dictionary,
                items: DoneItems(
                    items: ledger.doneItems, outputs: ledger.doneOutputs, processed: counters.itemsIn,
                    sent: sender.itemsSent, from: ledger.doneItemsFrom.byProducer)))
        // Only what the coordinator was told: what the next stage forgets of this worker's
        // outputs must not be more than this worker's producers will not replay.
        if emitsInInputOrder { sender.settledOutputs = ledger.doneOutputs }
        if !originalsOwed.isEmpty { try reportOriginals() }
    }

    /// From now on, drops what comes from `producer` (its replay brings it again), and owes
    /// the coordinator `originalsRan` for it.
    func noteLost(producer: Int, settled: UInt64) {
        lostProducers.insert(UInt32(producer))
        originalsOwed[UInt32(producer)] = settled
    }

    /// Tells the coordinator, for each lost producer no input from which is left undone, the
    /// ids of what this worker ran of its unsettled outputs: everything they produced has
    /// reached the end, so the producer's replay may leave their copies out.
    func reportOriginals() throws {
        for (producer, settled) in originalsOwed where !ledger.holdsInput(from: producer) {
            originalsOwed[producer] = nil
            let ids = unsettled.originals(from: producer, emittedFrom: settled)
            try sendControl(.originalsRan(assignment.address, producer: Int(producer), ids: ids))
        }
    }

    /// - Parameter readingLinks: see ``takeSenderAndLedgerCounts(readingLinks:)``.
    func reportProgress(readingLinks: Bool = true) throws {
        takeSenderAndLedgerCounts(readingLinks: readingLinks)
        try sendProgressIfChanged()
    }

    /// Sends the counters as last taken (``takeSenderAndLedgerCounts(readingLinks:)``) if they
    /// changed since the last report.
    func sendProgressIfChanged() throws {
        guard counters != reported else { return }
        takeProducerCounts()
        try reportSkipped()
        reported = counters
        lastReport = .now
        try sendControl(.progress(assignment.address, counters))
    }

    func checkControlWhileBusy(now: UInt64) throws {
        lastControlCheck = now
        try handleControlMessages()
        try drainBacklogs()
        if ledger.hasNews && now &- lastDoneReport >= Self.doneIntervalNanoseconds { try reportDone() }
        // Keep stats current while busy; end of stream only needs the idle reports.
        if ContinuousClock.now - lastReport > Self.busyReportInterval { try reportProgress() }
    }

    /// Waits until a consumer may have room (its queue can take a batch, or it sent credit), or
    /// the coordinator changed the consumers; leaves at once if the coordinator aborts. Keeps
    /// acknowledging and granting credit meanwhile, so producers upstream can forget what this
    /// worker finished and are not kept waiting by it.
    func waitForRoom(_ wait: RoomWait) throws {
        try grantOwedCredit()
        let poller = Poller(waitingOn: wait)
        let controlItem = poller.add(control, events: .readable)
        let began = Self.nanoseconds
        try poller.poll(timeoutMilliseconds: nil)
        blockedNanoseconds &+= Self.nanoseconds &- began
        if poller.isReadable(controlItem) {
            try handleControlMessages()
            // Waiting for room happens inside a body call: a committing state must not commit.
            if ledger.hasNews && !runner.commits { try reportDone() }
        }
        // A worker upstream of a bottleneck spends most of a batch here: say what it has
        // passed on so far, or its stage's figures lag the next stage's for the whole batch.
        // (This may be inside a `Pipeline.send`, which holds its links' lock: not read here.)
        if ContinuousClock.now - lastReport > Self.busyReportInterval { try reportProgress(readingLinks: false) }
    }

    /// Sends what lost consumers (of the next stage, or of a named pipeline) left to the others,
    /// once the links applied what they were told (acknowledgements included, so the inputs
    /// those released are settled after).
    func drainBacklogs() throws {
        try transport?.drainBacklog()
        try namedSends.drainBacklogs()
        settle()
    }

    /// An event about the next stage's workers (applied now), or about a named pipeline's this
    /// worker sends to (applied by its link).
    private func deliver(_ event: Producer.Event, pipeline: String) throws {
        if pipeline == assignment.pipelineID {
            output?.deliver(event)
            try output?.applyEvents()
        } else {
            namedSends.deliver(event, pipeline: pipeline)
        }
    }

    func handleControlMessages() throws {
        while let message = try control.tryReceiveControl(decoder) { try handle(message) }
    }

    func handle(_ message: ControlMessage) throws {
        // About the next stage's workers, or (another pipeline) a named pipeline's this one sends to.
        // This may run while a send waits for room: each producer applies what it is told at
        // its own safe points (the output's are between its placements, so at once).
        switch message {
        case .acknowledged(let pipeline, let consumer, let upTo):
            noteLinkBatches()
            try deliver(.acknowledged(consumer: consumer, upTo: upTo), pipeline: pipeline)
            settle()
        case .consumerLost(let pipeline, _, let consumer, let copies):
            try deliver(.lost(consumer: consumer, copies: copies ?? []), pipeline: pipeline)
        case .producerLost(let pipeline, let producer, let settled) where pipeline == assignment.pipelineID:
            noteLost(producer: producer, settled: settled)
            // With inputs settled and not yet reported, a committing state may still hold what
            // they made: the answer then comes after the commit, from `reportDone`.
            if !ledger.hasNews { try reportOriginals() }
        case .consumerAdded(let pipeline, _, let consumer):
            try deliver(.added(consumer), pipeline: pipeline)
        case .suspects(let list): quarantine.update(list)
        case .finish: try finish()
        case .abort:
            try? runner.tearDown()
            Syscalls.exitProcess(0)
        case .exit: Syscalls.exitProcess(0)
        default: return
        }
    }

    // MARK: End

    func finish() throws -> Never {
        try sender.flush()
        do {
            try runner.tearDown()
        } catch {
            try reportFailure(item: nil, reason: "teardown threw: \(error)", cause: error)
        }
        // Teardown may still send to named pipelines.
        try namedSends.flush()
        Syscalls.flushStandardStreams()
        takeSenderAndLedgerCounts()
        takeProducerCounts()
        try reportSkipped()
        try sendControl(.workerFinished(assignment.address, counters))
        Log.debug(
            "worker finished",
            [
                "items_in": "\(counters.itemsIn)", "items_out": "\(counters.itemsOut)",
                "copies_left_out": "\(sender.copiesLeftOut)",
            ])
        // Keep every socket open until the named pipelines this one sends to have done every
        // batch (closing is not end of stream), replaying to their workers meanwhile if one
        // dies; then leave.
        while true {
            switch try receiveControl() {
            case .exit, .abort: Syscalls.exitProcess(0)
            case let message:
                try handleAfterFinishing(message)
                try namedSends.drainBacklogs()
            }
        }
    }

    /// Acknowledgements and changes of a named pipeline's workers still matter once finished.
    private func handleAfterFinishing(_ message: ControlMessage) throws {
        switch message {
        case .acknowledged(let pipeline, _, _), .consumerLost(let pipeline, _, _, _),
            .consumerAdded(let pipeline, _, _):
            if pipeline != assignment.pipelineID { try handle(message) }
        default:
            return
        }
    }

    func reportFailure(item: String?, reason: String, cause: any Error) throws -> Never {
        var report = FailureReport(
            pipeline: pipelineLabel, stage: assignment.stage, stageLabel: definition.label,
            pid: Syscalls.processID, host: Syscalls.hostName, item: item, reason: reason)
        report.cause = PipelineError.Cause(cause)
        try sendControl(.stageFailed(assignment.address, report, counters))
        while true {
            switch try receiveControl() {
            case .abort, .exit:
                try? runner.tearDown()
                Syscalls.exitProcess(1)
            default: continue
            }
        }
    }

    /// Sends the skipped items before the counters that include them.
    func reportSkipped() throws {
        guard !skipped.isEmpty else { return }
        try sendControl(.skipped(assignment.address, skipped))
        skipped.removeAll()
    }

    /// Asks the coordinator where a named pipeline's first stage is; blocks until it answers.
    func resolve(_ name: String) throws -> SendRoute {
        try sendControl(.resolve(name: name, from: assignment.address))
        while true {
            switch try receiveControl() {
            case .resolved(let route) where route.name == name:
                return route
            case .unresolved(let unresolved, let code, let reason) where unresolved == name:
                throw PipelineError(code: code, pipeline: name, reason: reason)
            case .abort:
                try? runner.tearDown()
                Syscalls.exitProcess(0)
            case .exit:
                Syscalls.exitProcess(0)
            case let other:
                // Meanwhile the rest is handled as ever (a lost worker's batches must still be
                // replayed): events for the links are only delivered, never applied in here.
                try handle(other)
            }
        }
    }

    func sendControl(_ message: ControlMessage) throws {
        try control.send(try encoder.encode(message))
    }

    func receiveControl() throws -> ControlMessage {
        while true {
            let frame = Message()
            try control.receive(into: frame)
            if let message = frame.controlMessage(decoder) {
                return message
            }
            Log.warning("worker dropped a malformed control message")
        }
    }
}

extension Socket {
    /// Receives one control message if one is waiting; malformed ones are dropped.
    func tryReceiveControl(_ decoder: MessagePackDecoder) throws -> ControlMessage? {
        let frame = Message()
        while try tryReceive(into: frame) {
            if let message = frame.controlMessage(decoder) {
                return message
            }
            Log.warning("dropped a malformed control message")
        }
        return nil
    }
}
