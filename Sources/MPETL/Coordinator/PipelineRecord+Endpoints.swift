/// Which of a worker's endpoints a peer uses: `ipc://` on its own host, TCP elsewhere.
extension PipelineRecord {
    /// For each consumer, the endpoint a producer on `host` can use: `ipc://` on the same
    /// host, the other transport elsewhere.
    static func reachable(_ consumers: [(host: String?, endpoints: [String])], from host: String?) -> [String] {
        consumers.compactMap { consumer in
            let local = consumer.host == host
            return consumer.endpoints.first { $0.hasPrefix("ipc://") == local } ?? (local ? consumer.endpoints.first : nil)
        }
    }

    /// Stage 0's endpoints as a process on `host` reaches them (the driver's feed, senders).
    func stageZeroEndpoints(from host: String?) -> [String] {
        Self.reachable(slots.first?.filter { !$0.dropped }.map { ($0.host, $0.endpoints) } ?? [], from: host)
    }

    /// Every endpoint of stage 0, both transports: an external sender picks those it reaches.
    var allStageZeroEndpoints: [String] {
        slots.first?.filter { !$0.dropped }.flatMap(\.endpoints) ?? []
    }
}
