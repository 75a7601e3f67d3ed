/// `Pipeline.send`: resolving names to first stages, and counting what crosses each link so a
/// receiver's end of stream waits for its senders.
extension CoordinatorLoop {
    func resolve(_ name: String, from: WorkerAddress, identity: [UInt8]) {
        let pending = PendingLookup(
            name: name, from: from, identity: identity,
            deadline: .now + PendingLookup.lateRegistrationWait)
        if !answer(pending, now: .now) { pendingLookups.append(pending) }
    }

    func retryPendingLookups(now: ContinuousClock.Instant) {
        guard !pendingLookups.isEmpty else { return }
        pendingLookups.removeAll { answer($0, now: now) }
    }

    /// Answers a look-up if it can be answered now; false while it must wait.
    private func answer(_ lookup: PendingLookup, now: ContinuousClock.Instant) -> Bool {
        switch outcome(of: lookup.name, from: lookup.from) {
        case .ready(let target):
            openLink(to: target, lookup)
        case .refuse(let code, let reason):
            perform([.send(to: lookup.identity, .unresolved(name: lookup.name, code: code, reason: reason))])
        case .wait:
            let registered = records.values.contains { $0.registration.name == lookup.name }
            guard !registered, now >= lookup.deadline else { return false }
            let reason =
                "no pipeline named \"\(lookup.name)\" is registered with the coordinator (waited "
                + "\(PendingLookup.lateRegistrationWait) for one to start); check the name, and start the "
                + "receiving pipeline before feeding its senders"
            perform([.send(to: lookup.identity, .unresolved(name: lookup.name, code: .unknownPipeline, reason: reason))]
            )
        }
        return true
    }

    private func outcome(of name: String, from sender: WorkerAddress) -> LookupOutcome {
        let named = records.values.filter { $0.registration.name == name }
        if let live = named.first(where: { !$0.isDone && !$0.isFailing }) {
            let target = live.registration.id
            if target == sender.pipeline {
                return .refuse(
                    .invalidDefinition,
                    "a pipeline cannot send to itself (\"\(name)\"): it could never finish; emit the item from the "
                        + "stage instead"
                )
            }
            if sends(from: target, reaching: sender.pipeline) {
                return .refuse(
                    .invalidDefinition,
                    "pipelines that send to each other in a cycle can never finish: \"\(name)\" already sends, "
                        + "directly or not, to the sender"
                )
            }
            return live.acceptsSenders ? .ready(pipeline: target) : .wait
        }
        if let failed = named.first(where: { $0.isFailing && !$0.isDone }) ?? named.first(where: { $0.failure != nil })
        {
            return .refuse(
                .linkedPipelineFailed,
                "\"\(name)\" failed (\(failed.failure?.reason ?? "see its join()")), so it takes no more items")
        }
        if !named.isEmpty {
            return .refuse(
                .pipelineFinished,
                "\"\(name)\" has already finished and takes no more items; join a pipeline only after every pipeline "
                    + "that sends to it"
            )
        }
        return .wait
    }

    /// Whether items can flow from `source` to `destination` through existing links.
    private func sends(from source: String, reaching destination: String) -> Bool {
        var seen: Set<String> = [source]
        var frontier = [source]
        while let current = frontier.popLast() {
            if current == destination { return true }
            for link in links.values where link.sender.pipeline == current && seen.insert(link.target).inserted {
                frontier.append(link.target)
            }
        }
        return false
    }

    private func openLink(to target: String, _ lookup: PendingLookup) {
        // Workers keep what they send until it is acknowledged; other programs only count it.
        let counted = lookup.from.isExternal
        let producer = counted ? nextCountedProducer : nextProducer
        if counted { nextCountedProducer += 1 } else { nextProducer += 1 }
        links[producer] = SendLink(
            producer: producer, sender: lookup.from,
            senderIdentity: lookup.from.isExternal ? lookup.identity : nil, target: target)
        update(target) { record in
            record.addInbound(producer: producer)
            return []
        }
        update(lookup.from.pipeline) { record in
            record.addOutbound(lookup.from, producer: producer)
            return []
        }
        guard let record = records[target] else { return }
        let senderHost = records[lookup.from.pipeline]?.host(of: lookup.from)
        let route = SendRoute(
            name: lookup.name, pipeline: target, ordinal: record.registration.ordinal, producer: producer,
            endpoints: counted ? record.allStageZeroLinkEndpoints : record.stageZeroLinkEndpoints(from: senderHost),
            consumers: counted ? [] : record.consumers(of: 0, from: senderHost), input: record.registration.input)
        let senderLabel = records[lookup.from.pipeline]?.label ?? lookup.from.pipeline
        perform([
            .send(to: lookup.identity, .resolved(route)),
            .send(
                to: record.driver,
                .senderAdded(pipeline: target, sender: lookup.from.pipeline, senderLabel: senderLabel)),
        ])
    }

    /// A named pipeline waits for the pipelines its program started before it: they may send to
    /// it at any moment until they finish. (Start senders before receivers, as the original
    /// README does; later senders are waited for once they have sent.) Start order makes these
    /// waits acyclic.
    func updateAwaitedSenders(of driver: [UInt8]) {
        let programs = records.values.filter { $0.driver == driver }
        for receiver in programs where receiver.registration.name != nil && !receiver.isDone {
            let earlier = programs.filter { $0.registration.ordinal < receiver.registration.ordinal && !$0.isDone }
            let awaited = Set(earlier.map(\.registration.id))
            update(receiver.registration.id) { $0.awaitSenders(awaited) }
        }
    }

    /// An external sender said its last word on a link.
    func closeExternalLink(_ producer: UInt32, batches: UInt64) {
        guard let link = links[producer], link.finalBatches == nil else { return }
        links[producer]?.finalBatches = batches
        update(link.target) { $0.inboundFinished(producer: producer, batches: batches) }
        acknowledgeLinks(into: link.target)
    }

    /// A worker finished: its links' counts are final.
    func finishLinks(of worker: WorkerAddress, _ counters: WorkerCounters) {
        for (producer, link) in links where link.sender == worker && link.finalBatches == nil {
            let batches = counters.sends[producer] ?? 0
            links[producer]?.finalBatches = batches
            update(link.target) { $0.inboundFinished(producer: producer, batches: batches) }
            acknowledgeLinks(into: link.target)
        }
    }

    /// Lets senders exit once the receiver's first stage has counted every batch of their links.
    func acknowledgeLinks(into target: String) {
        guard let record = records[target] else { return }
        for (producer, link) in links where link.target == target && !link.acknowledged {
            guard let final = link.finalBatches, record.received(throughLink: producer) >= final else { continue }
            links[producer]?.acknowledged = true
            if let external = link.senderIdentity {
                perform([.send(to: external, .linkAcknowledged(producer: producer))])
            } else {
                update(link.sender.pipeline) { $0.outboundAcknowledged(link.sender, producer: producer) }
            }
        }
    }

    /// Relays a first-stage worker's acknowledgements of acknowledged links to their senders,
    /// and counts them as done batches of those links.
    func relayLinkAcknowledgements(from receiver: WorkerAddress, _ upTo: [UInt32: UInt64]) {
        guard records[receiver.pipeline]?.slot(at: receiver)?.lost == false else { return }
        var changed = false
        for (producer, sequence) in upTo
        where producer >= SendLink.firstProducer && !SendLink.isCounted(producer)
            && producer != BatchHeader.driverProducer
        {
            guard let link = links[producer], link.target == receiver.pipeline else { continue }
            changed = true
            update(receiver.pipeline) {
                $0.linkBatchesDone(producer: producer, worker: receiver.worker, upTo: sequence)
            }
            if let sender = records[link.sender.pipeline]?.slot(at: link.sender), !sender.exited,
                let identity = sender.identity
            {
                perform([
                    .send(
                        to: identity,
                        .acknowledged(pipeline: receiver.pipeline, consumer: receiver.worker, upTo: sequence))
                ])
            }
        }
        if changed { acknowledgeLinks(into: receiver.pipeline) }
    }

    enum FirstStageChange { case lost, added }

    /// Tells the senders of a pipeline's open acknowledged links that one of its first-stage
    /// workers was lost (replay what it had not acknowledged) or joined (send to it too).
    func tellLinkSenders(into receiver: WorkerAddress, _ change: FirstStageChange) {
        guard let record = records[receiver.pipeline] else { return }
        for link in links.values
        where link.target == receiver.pipeline && !link.acknowledged && !SendLink.isCounted(link.producer) {
            guard let sender = records[link.sender.pipeline]?.slot(at: link.sender), !sender.exited,
                let identity = sender.identity
            else { continue }
            switch change {
            case .lost:
                perform([
                    .send(to: identity, .consumerLost(pipeline: receiver.pipeline, stage: 0, consumer: receiver.worker))
                ])
            case .added:
                guard
                    let consumer = record.consumers(of: 0, from: sender.host).first(where: {
                        $0.worker == receiver.worker
                    })
                else { continue }
                perform([.send(to: identity, .consumerAdded(pipeline: receiver.pipeline, stage: 0, consumer))])
            }
        }
    }

    /// A sender was lost: its links take no more batches, so the receivers stop waiting for
    /// them. Its unfinished inputs are replayed to its siblings, which send their items again
    /// through their own links; the receivers' results collectors drop the copies.
    func closeLinks(ofLostSender sender: WorkerAddress) {
        for (producer, link) in links where link.sender == sender && link.finalBatches == nil {
            guard let target = records[link.target] else { continue }
            let done = target.received(throughLink: producer)
            links[producer]?.finalBatches = done
            update(link.target) { $0.inboundFinished(producer: producer, batches: done) }
            perform([.send(to: target.driver, .consumerLost(pipeline: link.target, stage: -1, consumer: -1))])
            acknowledgeLinks(into: link.target)
        }
    }

    /// A failure crosses unfinished links both ways: neither side can finish whole.
    func failLinkedPipelines(of pipeline: String, label: String, _ failure: FailureReport) {
        let linked = links.values.filter {
            !$0.acknowledged && ($0.target == pipeline || $0.sender.pipeline == pipeline)
        }
        for link in linked {
            if let external = link.senderIdentity {
                perform([
                    .send(
                        to: external, .linkFailed(producer: link.producer, reason: "\(label) failed: \(failure.reason)")
                    )
                ])
                continue
            }
            let other = link.target == pipeline ? link.sender.pipeline : link.target
            update(other) { $0.linkedPipelineFailed(label, because: failure) }
        }
    }
}
