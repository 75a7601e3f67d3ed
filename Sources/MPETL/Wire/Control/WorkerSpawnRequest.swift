/// A worker the coordinator asks an agent to start.
struct WorkerSpawnRequest: Codable, Equatable, Sendable {
    var address: WorkerAddress
    var ordinal: UInt32
}
