/// One `Pipeline.send` link: one process's PUSH into a named pipeline's first stage.
///
/// The coordinator only counts on it: the receiver's end of stream waits for the link's final
/// batch count, and the sender keeps its sockets open until the receiver has counted them all.
struct SendLink {
    /// Producer ids of links start here, above every worker index and below the driver's.
    static let firstProducer: UInt32 = 0x8000_0000

    let producer: UInt32
    let sender: WorkerAddress
    /// For an external sender, its connection: told when the link is acknowledged.
    var senderIdentity: [UInt8]?
    let target: String
    /// Set when the sending worker finished and reported its last count.
    var finalBatches: UInt64?
    var acknowledged = false
}

/// A `Pipeline.send` look-up waiting for its name to be registered and running.
struct PendingLookup {
    /// How long a look-up waits for a pipeline that has not registered its name yet, so a
    /// receiver started just after its sender is still found.
    static let lateRegistrationWait: Duration = .seconds(3)

    let name: String
    let from: WorkerAddress
    let identity: [UInt8]
    let deadline: ContinuousClock.Instant
}

/// What a look-up of a name finds.
enum LookupOutcome {
    case ready(pipeline: String)
    case wait
    case refuse(PipelineError.Code, String)
}
