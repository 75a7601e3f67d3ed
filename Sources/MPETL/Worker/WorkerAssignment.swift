import ZeroMQ

/// What a re-executed program must do as a worker: which pipeline (by `start()` order) and
/// which stage replica it runs, and where the coordinator is.
///
/// The coordinator passes it in the `MPETL_WORKER` environment variable when it spawns the
/// worker; the variable is removed once read, so the stage's own child processes are not
/// mistaken for workers.
struct WorkerAssignment: Equatable, Sendable {
    var coordinatorEndpoint: Endpoint
    var pipelineID: String
    var ordinal: UInt32
    var stage: Int
    var worker: Int
    var runDirectory: String
    var parentPID: Int32
    /// The descriptor its agent handed it a ``HeldItemRecord`` as; nil from an agent that
    /// hands none.
    var heldItemDescriptor: Int32?

    var address: WorkerAddress { WorkerAddress(pipeline: pipelineID, stage: stage, worker: worker) }

    var environmentValue: String {
        ([
            "v1", coordinatorEndpoint.description, pipelineID, "\(ordinal)", "\(stage)", "\(worker)", runDirectory,
            "\(parentPID)",
        ]
            + (heldItemDescriptor.map { ["\($0)"] } ?? []))
            .joined(separator: "\u{1f}")
    }

    init(
        coordinatorEndpoint: Endpoint, pipelineID: String, ordinal: UInt32, stage: Int, worker: Int,
        runDirectory: String, parentPID: Int32, heldItemDescriptor: Int32? = nil
    ) {
        self.coordinatorEndpoint = coordinatorEndpoint
        self.pipelineID = pipelineID
        self.ordinal = ordinal
        self.stage = stage
        self.worker = worker
        self.runDirectory = runDirectory
        self.parentPID = parentPID
        self.heldItemDescriptor = heldItemDescriptor
    }

    init?(environmentValue: String) {
        let fields = environmentValue.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 8 || fields.count == 9, fields[0] == "v1",
            let ordinal = UInt32(fields[3]), let stage = Int(fields[4]), let worker = Int(fields[5]),
            let parent = Int32(fields[7]), let coordinator = try? Endpoint(parsing: fields[1])
        else { return nil }
        let heldItem = fields.count == 9 ? Int32(fields[8]) : nil
        guard fields.count == 8 || heldItem != nil else { return nil }
        self.init(
            coordinatorEndpoint: coordinator, pipelineID: fields[2], ordinal: ordinal, stage: stage,
            worker: worker, runDirectory: fields[6], parentPID: parent, heldItemDescriptor: heldItem)
    }
}
