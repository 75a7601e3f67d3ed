import ZeroMQ

/// Which of a worker's endpoints a peer uses: `ipc://` on its own host, TCP elsewhere.
extension PipelineRecord {
    /// For each consumer, the endpoint a producer on `host` can use: `ipc://` on the same
    /// host, the other transport elsewhere.
    static func reachable(_ consumers: [(host: String?, endpoints: [Endpoint])], from host: String?) -> [Endpoint] {
        consumers.compactMap { consumer in
            let local = consumer.host == host
            return consumer.endpoints.first { $0.isIPC == local } ?? (local ? consumer.endpoints.first : nil)
        }
    }

    /// The running workers of `stage` (the results collector after the last stage) as a
    /// producer on `host` reaches them.
    func consumers(of stage: Int, from host: String?) -> [ConsumerEndpoint] {
        guard stage < slots.count else {
            return Self.reachable([(registration.host, registration.collectorEndpoints)], from: host)
                .prefix(1).map { ConsumerEndpoint(worker: 0, endpoint: $0) }
        }
        return slots[stage].indices.compactMap { worker in
            let slot = slots[stage][worker]
            guard !slot.dropped, !slot.exited,
                let endpoint = Self.reachable([(slot.host, slot.endpoints)], from: host).first
            else { return nil }
            return ConsumerEndpoint(worker: worker, endpoint: endpoint)
        }
    }

    /// Stage 0's link endpoints as a process on `host` reaches them (counted `Pipeline.send` links).
    func stageZeroLinkEndpoints(from host: String?) -> [Endpoint] {
        Self.reachable(
            (slots.first ?? []).filter { !$0.dropped && !$0.exited }.map { ($0.host, $0.linkEndpoints) }, from: host)
    }

    /// Every link endpoint of stage 0, both transports: an external sender picks those it reaches.
    var allStageZeroLinkEndpoints: [Endpoint] {
        slots.first?.filter { !$0.dropped && !$0.exited }.flatMap(\.linkEndpoints) ?? []
    }
}
