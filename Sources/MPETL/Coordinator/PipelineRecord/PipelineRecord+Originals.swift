/// A lost worker's replay without copies past its own stage.
///
/// Replaying a lost worker's unfinished inputs makes its siblings emit again what it had
/// already emitted from them, and what the next stage had run of that would run again there and
/// in every stage after (at-least-once). So when the next stage is made of workers and the lost
/// one emitted in input order, the replay waits: each worker of the next stage drops whatever
/// else comes from the lost one, and once every input it had from it is done (everything those
/// produced has reached the end) answers with the ids of the lost worker's unsettled outputs it
/// ran, the *originals*. The producers then replay with those ids, and the siblings leave
/// their copies out. A worker of the next stage that dies first simply does not answer: its
/// originals are copied as before, and counted apart (``countCopiesApart``).
extension PipelineRecord {
    /// What the warning about a loss adds when its replay waits.
    static let heldNote = " once the next stage has finished what it holds from it (so nothing runs there twice)"

    /// A lost worker's replay, waiting for the next stage's answers.
    struct HeldReplay {
        var stage: Int
        var worker: Int
        /// Workers of the next stage yet to answer.
        var awaiting: Set<Int>
        var originals: [UInt64] = []
    }

    /// Starts holding the replay of the worker lost at `address`, when that can spare copies:
    /// returns what to send the next stage's workers, or nil to replay at once.
    mutating func holdReplay(of address: WorkerAddress) -> [CoordinatorAction]? {
        let next = address.stage + 1
        guard next < slots.count, (registration.stages[address.stage].concurrency ?? 1) == 1 else { return nil }
        // Every worker that said hello: producers may send to it from then on.
        let awaiting = slots[next].indices.filter { slots[next][$0].identity != nil && !slots[next][$0].exited }
        guard !awaiting.isEmpty else { return nil }
        heldReplays.append(HeldReplay(stage: address.stage, worker: address.worker, awaiting: Set(awaiting)))
        let settled = slots[address.stage][address.worker].counters.itemsOutDone ?? 0
        return awaiting.compactMap { worker in
            slots[next][worker].identity.map {
                .send(to: $0, .producerLost(pipeline: registration.id, producer: address.worker, settled: settled))
            }
        }
    }

    /// A worker of the next stage answered for a lost producer.
    mutating func originalsRan(_ address: WorkerAddress, producer: Int, ids: [UInt64]) -> [CoordinatorAction] {
        guard
            let index = heldReplays.firstIndex(where: {
                $0.stage == address.stage - 1 && $0.worker == producer && $0.awaiting.contains(address.worker)
            })
        else { return [] }
        heldReplays[index].awaiting.remove(address.worker)
        heldReplays[index].originals += ids
        return releaseAnsweredReplays()
    }

    /// A worker ended: it answers no more. If its own replay is held, the replays waiting for
    /// it go after that one: the copies it leaves out must reach the producers first, or what
    /// the earlier replay brings again through its siblings would run past them.
    mutating func stopAwaiting(_ address: WorkerAddress) -> [CoordinatorAction] {
        guard !heldReplays.isEmpty,
            !heldReplays.contains(where: { $0.stage == address.stage && $0.worker == address.worker })
        else { return [] }
        for index in heldReplays.indices where heldReplays[index].stage == address.stage - 1 {
            heldReplays[index].awaiting.remove(address.worker)
        }
        return releaseAnsweredReplays()
    }

    /// Sends the replays every awaited worker answered for.
    private mutating func releaseAnsweredReplays() -> [CoordinatorAction] {
        var actions: [CoordinatorAction] = []
        while let index = heldReplays.firstIndex(where: \.awaiting.isEmpty) {
            let held = heldReplays.remove(at: index)
            slots[held.stage][held.worker].originalsRan += UInt64(held.originals.count)
            for earlier in heldReplays.indices where heldReplays[earlier].stage == held.stage - 1 {
                heldReplays[earlier].awaiting.remove(held.worker)
            }
            guard phase == .running else { continue }
            let lost = ControlMessage.consumerLost(
                pipeline: registration.id, stage: held.stage, consumer: held.worker, copies: held.originals)
            if held.stage == 0 {
                actions.append(.send(to: driver, lost))
            } else {
                actions += replays(lost, of: held.stage)
            }
        }
        return actions
    }

    /// `lost` for the producers of `stage`, or held for the results collector (see
    /// ``awaitsCollector``).
    mutating func replays(_ lost: ControlMessage, of stage: Int) -> [CoordinatorAction] {
        let replays = producers(of: stage).filter { $0.0 != driver }.map { CoordinatorAction.send(to: $0.0, lost) }
        guard awaitsCollector else { return replays }
        replaysAwaitingCollector += replays
        return []
    }
}
