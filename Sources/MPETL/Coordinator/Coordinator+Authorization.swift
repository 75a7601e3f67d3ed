/// Who may say what: a message about a worker must come from that worker's own connection
/// (or, for its start and exit, from the agent asked to start it), and a message about a
/// pipeline's feed from its driver. Anything else is dropped, counted and logged once per
/// peer, so a stray or hostile peer cannot corrupt the counts end of stream depends on.
extension CoordinatorLoop {
    func isAuthorized(_ message: ControlMessage, from identity: [UInt8]) -> Bool {
        switch message {
        case .feedComplete(let pipeline, _, _), .feedProgress(let pipeline, _, _), .copiesDropped(let pipeline):
            return records[pipeline]?.driver == identity
        case .hello(let address, _, _, _, _, _):
            return records[address.pipeline]?.mayClaim(address, identity: identity) ?? true
        case .resolve(_, let address) where address.isExternal:
            return true
        case .sendsClosed(let producer, _):
            return links[producer]?.senderIdentity == identity
        case .workerReady(let address), .progress(let address, _), .stageFailed(let address, _, _),
            .skipped(let address, _), .workerFinished(let address, _), .resolve(_, let address),
            .done(let address, _, _), .originalsRan(let address, _, _):
            return records[address.pipeline]?.speaksFor(address, identity: identity) ?? false
        case .spawned(let address, _), .spawnFailed(let address, _), .workerExited(let address, _, _, _):
            return agents[identity]?.workers.contains(address) ?? false
        default:
            return true
        }
    }

    /// Counts a message that was not the sender's to send, and logs it within the rate limit.
    func refuse(_ message: ControlMessage, from identity: [UInt8]) {
        refusedMessages += 1
        if let held = untrustedInputWarnings.admit("refused") {
            let kind = String(describing: message).prefix { $0 != "(" }
            Log.warning(
                "coordinator dropped a \(kind) message from peer \(PeerIdentity.describe(identity)) that speaks for a "
                    + "worker or pipeline that is not its own\(untrustedInputWarnings.suffix(held: held))"
            )
        }
    }
}

extension PipelineRecord {
    /// Whether `identity` is the connection of the worker at `address` (or, for the results
    /// collector after the last stage, the driver).
    func speaksFor(_ address: WorkerAddress, identity: [UInt8]) -> Bool {
        if address.stage == registration.stages.count { return identity == driver && address.worker == 0 }
        guard let slot = slot(at: address) else { return false }
        // Fencing: a worker declared lost was replaced and its batches replayed; whatever it
        // says later (its host came back) must not count beside its replacement's.
        return slot.identity == identity && !slot.lost
    }

    /// Whether `identity` may say hello as the worker at `address`: the slot exists and no
    /// other connection has claimed it.
    func mayClaim(_ address: WorkerAddress, identity: [UInt8]) -> Bool {
        guard let slot = slot(at: address) else { return true }  // hello refuses unknown slots itself
        return slot.identity == nil || slot.identity == identity
    }
}
