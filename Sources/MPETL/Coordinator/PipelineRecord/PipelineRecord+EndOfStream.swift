import ZeroMQ

/// End of stream: counts and acknowledgements, until everything fed and sent has reached the
/// end and every worker has finished and exited.
extension PipelineRecord {
    // MARK: Progress and end of stream

    /// The driver's feed is closed and every batch of it was acknowledged.
    mutating func feedComplete(batches: UInt64, items: UInt64? = nil) -> [CoordinatorAction] {
        feedTotal = batches
        feedItems = items
        return advance()
    }

    mutating func progress(_ address: WorkerAddress, _ counters: WorkerCounters) -> [CoordinatorAction] {
        if address.stage == slots.count {
            collector = counters
        } else if isKnown(address) {
            // Done counts are the acknowledged ones (``noteDone(_:_:)``): a progress report may
            // carry inputs settled since, whose acknowledgement never left if the worker dies.
            let acknowledged = slots[address.stage][address.worker].counters
            slots[address.stage][address.worker].counters = counters
            slots[address.stage][address.worker].counters.itemsDone = acknowledged.itemsDone
            slots[address.stage][address.worker].counters.itemsOutDone = acknowledged.itemsOutDone
            slots[address.stage][address.worker].counters.itemsDoneFrom = acknowledged.itemsDoneFrom
        }
        return advance()
    }

    /// A worker's items done as of its latest acknowledgement (newer than its last progress
    /// report, perhaps).
    mutating func noteDone(_ address: WorkerAddress, _ items: DoneItems) -> [CoordinatorAction] {
        if address.stage == slots.count {
            // The results collector's: results received, and kept.
            collector.itemsIn = max(collector.itemsIn, items.items)
            collector.resultsKept = max(collector.resultsKept ?? 0, items.outputs)
            return []
        }
        guard isKnown(address), address.stage < slots.count else { return [] }
        let current = slots[address.stage][address.worker].counters.itemsDone ?? 0
        if items.items >= current {
            slots[address.stage][address.worker].counters.itemsDone = items.items
            slots[address.stage][address.worker].counters.itemsOutDone = items.outputs
            if let from = items.from { slots[address.stage][address.worker].counters.itemsDoneFrom = from }
            let (processed, sent) = (
                slots[address.stage][address.worker].counters.itemsIn,
                slots[address.stage][address.worker].counters.itemsOut
            )
            slots[address.stage][address.worker].counters.itemsIn = max(processed, items.processed ?? 0)
            slots[address.stage][address.worker].counters.itemsOut = max(sent, items.sent ?? 0)
        }
        return []
    }

    /// Relays a consumer's acknowledgements to the producers they are for.
    func acknowledgements(from address: WorkerAddress, upTo: [UInt32: UInt64]) -> [CoordinatorAction] {
        guard phase == .running,
            address.stage == slots.count || (isKnown(address) && !slots[address.stage][address.worker].lost)
        else { return [] }
        return upTo.compactMap { producer, sequence in
            let message = ControlMessage.acknowledged(
                pipeline: registration.id, consumer: address.worker, upTo: sequence)
            if address.stage == 0 { return producer == BatchHeader.driverProducer ? .send(to: driver, message) : nil }
            let from = WorkerAddress(pipeline: registration.id, stage: address.stage - 1, worker: Int(producer))
            guard producer < SendLink.firstProducer, isKnown(from),
                let identity = slots[from.stage][from.worker].identity,
                !slots[from.stage][from.worker].exited
            else { return nil }
            return .send(to: identity, message)
        }
    }

    /// Records skipped items, each once: a replayed batch skips its items again.
    mutating func skipped(_ items: [SkippedItem]) {
        let new = items.filter { skippedIDs.insert(SkippedKey(stage: $0.stage, itemID: $0.itemID)).inserted }
        skippedCount += new.count
        skipped += new.prefix(max(0, Self.skippedKept - skipped.count))
    }

    mutating func workerFinished(_ address: WorkerAddress, _ counters: WorkerCounters) -> [CoordinatorAction] {
        guard isKnown(address) else { return [] }
        slots[address.stage][address.worker].counters = counters
        switch slots[address.stage][address.worker].state {
        case .exited(let lost, _):
            // Its exit was heard first: its counters still count as final.
            slots[address.stage][address.worker].state = .exited(lost: lost, finished: true)
        case .dropped:
            break
        default:
            slots[address.stage][address.worker].state = .finished(exitHeld: false)
        }
        return tellToExit(stage: address.stage, worker: address.worker) + completeIfDone()
    }

    /// Once everything fed and sent has reached the end, tells every worker to finish.
    mutating func advance() -> [CoordinatorAction] {
        guard phase == .running, !finishing, feedTotal != nil, openInbound.isEmpty, awaitedSenders.isEmpty,
            finalInbound.allSatisfy({ received(throughLink: $0.key) >= $0.value })
        else { return [] }
        finishing = true
        var actions: [CoordinatorAction] = []
        for slot in allSlots where !slot.exited && !slot.toldToExit {
            if let identity = slot.identity { actions.append(.send(to: identity, .finish)) }
        }
        return actions + completeIfDone()
    }

    /// Lets a worker exit, unless a link of its still has batches in flight.
    mutating func tellToExit(stage: Int, worker: Int) -> [CoordinatorAction] {
        // A dropped or ended worker has no process to tell.
        guard !slots[stage][worker].exited else { return [] }
        guard slots[stage][worker].unacknowledged.isEmpty else {
            slots[stage][worker].state = .finished(exitHeld: true)
            return []
        }
        slots[stage][worker].state = .toldToExit(finished: slots[stage][worker].finished)
        return [.send(to: slots[stage][worker].identity!, .exit)]
    }

    mutating func completeIfDone() -> [CoordinatorAction] {
        guard phase == .running, finishing, allSlots.allSatisfy(\.exited) else { return [] }
        phase = .finished
        return [
            .send(
                to: driver,
                .finished(pipeline: registration.id, stats: stats(), skipped: skipped, skippedCount: skippedCount))
        ]
    }
}
