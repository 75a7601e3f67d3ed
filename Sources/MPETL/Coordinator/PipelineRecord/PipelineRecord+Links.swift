import ZeroMQ

/// Links from `Pipeline.send`: into stage 0 from other pipelines, and out of this one's workers.
extension PipelineRecord {
    // MARK: Links from Pipeline.send

    /// Whether `Pipeline.send` may resolve to this pipeline now.
    var acceptsSenders: Bool { phase == .running }

    /// A process began sending to stage 0: end of stream now waits for its final count too.
    mutating func addInbound(producer: UInt32) {
        openInbound.insert(producer)
    }

    /// Sets the pipelines whose end stage 0 must wait for, though they have not sent yet.
    mutating func awaitSenders(_ senders: Set<String>) -> [CoordinatorAction] {
        guard senders != awaitedSenders else { return [] }
        awaitedSenders = senders
        return advance()
    }

    /// A sending process finished and said how many batches it pushed through its link.
    mutating func inboundFinished(producer: UInt32, batches: UInt64) -> [CoordinatorAction] {
        guard openInbound.remove(producer) != nil else { return [] }
        finalInbound[producer] = batches
        return advance()
    }

    /// Batches of one sending link done by stage 0: counted by the workers for a counted link,
    /// acknowledged per connection for an acknowledged one.
    func received(throughLink producer: UInt32) -> UInt64 {
        let counted = slots.first?.reduce(0) { $0 + ($1.counters.fromSenders[producer] ?? 0) } ?? 0
        return counted + (linkDone[producer]?.values.reduce(0, +) ?? 0)
    }

    /// A first-stage worker acknowledged an acknowledged link's batches up to `sequence`, which
    /// numbers that link's batches to it: so many are done.
    mutating func linkBatchesDone(producer: UInt32, worker: Int, upTo sequence: UInt64) -> [CoordinatorAction] {
        linkDone[producer, default: [:]][worker] = max(linkDone[producer]?[worker] ?? 0, sequence)
        return advance()
    }

    /// One of this pipeline's workers opened a link to another pipeline.
    mutating func addOutbound(_ address: WorkerAddress, producer: UInt32) {
        guard isKnown(address) else { return }
        slots[address.stage][address.worker].unacknowledged.insert(producer)
    }

    /// The receiver counted every batch of a link: its sender may exit when its stage allows.
    mutating func outboundAcknowledged(_ address: WorkerAddress, producer: UInt32) -> [CoordinatorAction] {
        guard isKnown(address) else { return [] }
        slots[address.stage][address.worker].unacknowledged.remove(producer)
        guard slots[address.stage][address.worker].exitHeld else { return [] }
        return tellToExit(stage: address.stage, worker: address.worker)
    }
}
