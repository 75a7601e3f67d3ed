/// One `Pipeline.send` link: one process's pushes into a named pipeline's first stage.
///
/// The receiver's end of stream waits for the link's final batch count, and the sender keeps
/// its sockets open until the receiver has done them all. A worker's link is *acknowledged*
/// like a stage's output: one PUSH per first-stage worker, batches kept until done, replayed
/// if that worker dies, and counted done from the acknowledgements. A link from another
/// program (a driver's send, or any language) is *counted*: one PUSH, nothing kept, counted
/// done by the receiving workers, and lost with one of them.
struct SendLink {
    /// Producer ids of links start here, above every worker index and below the driver's:
    /// acknowledged links from here…
    static let firstProducer: UInt32 = 0x8000_0000
    /// …and counted links from here.
    static let firstCountedProducer: UInt32 = 0xC000_0000

    static func isCounted(_ producer: UInt32) -> Bool {
        producer >= firstCountedProducer && producer != BatchHeader.driverProducer
    }

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
