import ZeroMQ

/// What the driver tells the coordinator about a pipeline it starts.
struct PipelineRegistration: Codable, Sendable {
    var id: String
    var ordinal: UInt32
    var name: String?
    var stages: [StageSummary]
    var fingerprint: String
    /// The program to re-execute for workers: its path, argv, and the run prefix of its
    /// `ipc://` sockets (an abstract socket name, `@mpetl-PID-RANDOM`).
    var executable: String
    var arguments: [String]
    var runDirectory: String
    /// Where the last stage's results go (`ipc://`, and `tcp://` when remote workers may
    /// join); empty when the last stage returns nothing.
    var collectorEndpoints: [Endpoint]
    /// The driver's host, which starts the declared workers.
    var host: String
    /// What `Pipeline.send` senders need to push into the first stage like the driver does.
    var input: StageInput
    /// The driver answers a lost worker's `consumerLost` with `copiesDropped`, and the
    /// coordinator holds the replay until then (absent from older drivers: no hold).
    var confirmsLosses: Bool? = nil
}
