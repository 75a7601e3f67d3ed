/// Where a stage runs in its pipeline: all origins, then all tasks, then all destinations,
/// each group in the order it was added (the original library's rule).
enum StageKind: Int, Comparable, Sendable {
    case origin, task, destination

    static func < (lhs: StageKind, rhs: StageKind) -> Bool { lhs.rawValue < rhs.rawValue }

    var name: String {
        switch self {
        case .origin: "origin"
        case .task: "task"
        case .destination: "destination"
        }
    }
}

/// The value type of a stage that passes nothing on; never encoded.
struct NoOutput: Codable, Sendable {}

/// A type, compared by identity and shown by name.
struct TypeTag: Equatable, Sendable, CustomStringConvertible {
    let id: ObjectIdentifier
    let name: String

    init<T>(_ type: T.Type) {
        id = ObjectIdentifier(type)
        name = String(describing: type)
    }

    static func == (lhs: TypeTag, rhs: TypeTag) -> Bool { lhs.id == rhs.id }
    var description: String { name }
}

/// One stage as added by the user, its types erased so a pipeline can hold a list of them.
struct StageDefinition: Sendable {
    var kind: StageKind
    var processes: ProcessCount
    /// Items per batch into this stage; nil: sized by the load (see ``AutomaticBatching``).
    var chunkSize: Int?
    var input: TypeTag
    /// nil when the body returns nothing.
    var output: TypeTag?
    /// What a throwing body does.
    var errorPolicy = ErrorPolicy.fail
    /// The longest one item may run, if limited.
    var timeout: Duration?
    /// Items one worker process runs at once: 1 for a synchronous body; an async body's
    /// `concurrency:`.
    var concurrency = 1
    /// Whether the body is async: it runs in tasks on Swift's concurrency pool.
    var isAsync = false
    /// Builds the object that runs the stage inside a worker process.
    var makeRunner: @Sendable (ErrorPolicy) -> any StageRunner
    /// The name the user gave it, if any.
    var name: String?
    /// Set when the pipeline orders its stages: its name, else e.g. `task 2 (String -> Int)`.
    var label = ""

    init<Input: Decodable & Sendable, Output: Encodable & Sendable, State>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)?,
        body: @escaping @Sendable (Input, State, Emitter<Output>) throws -> Void
    ) {
        self.kind = kind
        self.processes = processes
        self.chunkSize = chunkSize
        input = TypeTag(Input.self)
        output = Output.self == NoOutput.self ? nil : TypeTag(Output.self)
        makeRunner = { policy in TypedStageRunner(setup: setup, teardown: teardown, policy: policy, body: body) }
    }

    /// An async stage: each worker process runs up to `concurrency` items at once.
    init<Input: Decodable & Sendable, Output: Encodable & Sendable, State: Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?, concurrency: Int,
        setup: @escaping @Sendable () async throws -> State,
        teardown: (@Sendable (State) async throws -> Void)?,
        body: @escaping @Sendable (Input, State, Emitter<Output>) async throws -> Void
    ) {
        self.kind = kind
        self.processes = processes
        self.chunkSize = chunkSize
        self.concurrency = concurrency
        isAsync = true
        input = TypeTag(Input.self)
        output = Output.self == NoOutput.self ? nil : TypeTag(Output.self)
        makeRunner = { policy in
            AsyncStageRunner(
                setup: setup, teardown: teardown, policy: policy, concurrency: concurrency, body: body)
        }
    }

    /// The same stage with another error policy.
    func onError(_ policy: ErrorPolicy) -> StageDefinition {
        var copy = self
        copy.errorPolicy = policy
        return copy
    }

    /// The chunk size as batch senders and the wire take it: ``AutomaticBatching/automatic`` (0)
    /// when the load sizes batches.
    var wireChunkSize: Int { chunkSize ?? AutomaticBatching.automatic }

    /// The same stage with a name.
    func named(_ name: String?) -> StageDefinition {
        var copy = self
        copy.name = name
        return copy
    }

    /// The same stage with an item timeout.
    func timeout(_ timeout: Duration?) -> StageDefinition {
        var copy = self
        copy.timeout = timeout
        return copy
    }

    var summary: StageSummary {
        StageSummary(
            label: label, processes: processes.resolved, chunkSize: wireChunkSize,
            skipsFailedItems: errorPolicy == .skip ? true : nil,
            retries: { if case .retry(let times) = errorPolicy { return times } else { return nil } }(),
            concurrency: concurrency == 1 ? nil : concurrency)
    }
}
