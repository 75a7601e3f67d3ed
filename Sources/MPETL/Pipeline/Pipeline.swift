import Foundation
import Logging
import Synchronization
import ZeroMQ

/// A multi-process pipeline: origins, then tasks, then destinations, each stage running in
/// its own worker processes connected by ZeroMQ.
///
/// ```swift
/// let pipeline = Pipeline()
/// try pipeline.addOrigin { (text: String, emit: Emitter<String>) in
///     for line in text.split(separator: "\n") { emit(String(line)) }
/// }
/// try pipeline.addTask { (line: String) in line.uppercased() }
/// try pipeline.addDestination { (line: String) in print(line) }
/// try pipeline.start()          // in a worker process this never returns
/// try pipeline.feed(rhyme)
/// try pipeline.join()
/// ```
///
/// ## Worker processes
///
/// Swift cannot ship closures to another process, so `start()` re-executes the running
/// program once per worker. Each worker runs `main` again, builds the same pipelines, and at
/// the matching `start()` becomes the worker for its stage and never returns. Code before
/// `start()` therefore runs in every worker: keep it to building pipelines, and use
/// ``isWorkerProcess`` to skip work only the driver should do. Pipelines started before the
/// worker's own are inert there: their `feed`, `join` and `asCompleted` do nothing.
/// Workers inherit standard output and error, read an empty standard input, and are killed
/// when the driver dies.
public final class Pipeline: Sendable {
    /// The name other processes use to ``send(_:_:)`` to this pipeline, if any.
    public let name: String?
    /// The approximate number of items in flight into each stage; `nil` leaves ZeroMQ's
    /// default queue of 1,000 batches per connection.
    public let maxSize: Int?

    private let state = Mutex(State())
    /// Where ``async``'s calls run the blocking ones, in order.
    let blockingCalls: BlockingCalls
    /// How this program shows the pipeline's progress (`MPETL_PROGRESS` over the `progress:`
    /// it was created with).
    let progress: ProgressDisplay
    /// Set in a worker process once it runs its stage: from then on, only stage bodies call.
    private static let stageIsRunning = Atomic<Bool>(false)

    private struct State {
        var stages: [StageDefinition] = []
        var phase = Phase.building
    }

    /// The stages as added.
    var stages: [StageDefinition] { state.withLock { $0.stages } }
    /// Each stage's items in flight per worker process, in the order added.
    var stageConcurrency: [Int] { state.withLock { $0.stages.map(\.concurrency) } }
    /// Whether each stage's body is async, in the order added.
    var stageRunsAsync: [Bool] { state.withLock { $0.stages.map(\.isAsync) } }

    private enum Phase {
        case building
        /// `start()` is connecting workers. It holds no lock meanwhile: callers on other
        /// threads wait on the hand-off for the session (nil: inert), or for start's error.
        case starting(OneShot<DriverSession?, any Error>)
        /// Started in a worker process that runs another pipeline: every call is a no-op.
        case inert
        /// This process is one of this pipeline's workers, running a stage body.
        case worker
        case running(DriverSession)
    }

    /// Creates a pipeline.
    ///
    /// ```swift
    /// var logger = Logger(label: "orders-etl")
    /// logger.logLevel = .debug
    /// let pipeline = Pipeline(name: "orders", logger: logger)
    /// ```
    /// - Parameters:
    ///   - name: a unique name, required to receive items from ``send(_:_:)``.
    ///   - maxSize: bounds the items queued into each stage; `feed` blocks when it is reached.
    ///   - logger: where MPETL's lines go, in this process and in every worker of it (workers
    ///     re-run the program, so they make the same logger). MPETL adds `pid` and `host`
    ///     metadata, and in workers `pipeline`, `stage` and `worker`; the logger's own level
    ///     applies. A process has one MPETL logger, shared by its coordinator and agents: the
    ///     first one given. `nil` (the default) writes lines to standard error at the level in
    ///     `MPETL_LOG_LEVEL` (default `info`).
    ///   - progress: whether this program shows the pipeline's progress on standard error
    ///     (default `.off`); `MPETL_PROGRESS` overrides it (see ``ProgressDisplay``).
    public init(name: String? = nil, maxSize: Int? = nil, logger: Logger? = nil, progress: ProgressDisplay = .off) {
        self.name = name
        self.maxSize = maxSize
        self.progress = ProgressDisplay.fromEnvironment ?? progress
        blockingCalls = BlockingCalls(label: name ?? "unnamed")
        if let logger { Log.adopt(logger) }
        _ = ProcessRole.current
    }

    /// Whether this process is a worker re-executed by MPETL rather than the program the user
    /// started. Code before `start()` runs in both; use this to skip driver-only work.
    ///
    /// ```swift
    /// if !Pipeline.isWorkerProcess { print("starting the job") }
    /// ```
    public static var isWorkerProcess: Bool {
        if case .worker = ProcessRole.current { return true }
        return false
    }

    // MARK: Building

    func add(_ stage: StageDefinition) throws {
        let label = name ?? "this pipeline"
        if let chunkSize = stage.chunkSize, chunkSize < 1 {
            throw PipelineError(
                code: .invalidDefinition, pipeline: label,
                reason: "chunkSize must be at least 1, got \(chunkSize); leave it out (nil) to size batches by the load"
            )
        }
        if let timeout = stage.timeout, timeout <= .zero {
            throw PipelineError(
                code: .invalidDefinition, pipeline: label,
                reason: "timeout must be positive, got \(timeout); leave it out (nil) for no limit")
        }
        if case .retry(let times) = stage.errorPolicy, times < 0 {
            throw PipelineError(
                code: .invalidDefinition, pipeline: label,
                reason: "retry takes how many more attempts to make, at least 0; got \(times)")
        }
        if let name = stage.name, name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw PipelineError(
                code: .invalidDefinition, pipeline: label,
                reason: "a stage name must have a visible character; leave name: out for the default label")
        }
        guard (1...HeldItemRecord.maximumSlots).contains(stage.concurrency) else {
            throw PipelineError(
                code: .invalidDefinition, pipeline: label,
                reason:
                    "concurrency must be between 1 and \(HeldItemRecord.maximumSlots) items in flight per worker "
                    + "process, got \(stage.concurrency); for more, add processes")
        }
        guard stage.processes.resolved >= 1 else {
            throw PipelineError(
                code: .invalidDefinition, pipeline: label,
                reason: "processes must be at least 1, got \(stage.processes)")
        }
        try state.withLock { state in
            guard case .building = state.phase else {
                throw PipelineError(
                    code: .alreadyStarted, pipeline: label,
                    reason:
                        "add\(stage.kind.name.capitalized)(…) was called after start(); "
                        + "add every stage before calling start()"
                )
            }
            state.stages.append(stage)
        }
    }

    /// The stages in execution order, labelled: all origins, then all tasks, then all
    /// destinations, each group in the order added.
    static func executionOrder(_ stages: [StageDefinition]) -> [StageDefinition] {
        var ordered = stages.enumerated().sorted { ($0.element.kind, $0.offset) < ($1.element.kind, $1.offset) }.map(
            \.element)
        var counts: [StageKind: Int] = [:]
        for index in ordered.indices {
            counts[ordered[index].kind, default: 0] += 1
            let output = ordered[index].output?.name ?? "nothing"
            ordered[index].label =
                ordered[index].name
                ?? "\(ordered[index].kind.name) \(counts[ordered[index].kind]!) (\(ordered[index].input) -> \(output))"
        }
        return ordered
    }

    // MARK: Running

    /// Starts the worker processes and returns once every one is connected.
    ///
    /// In a worker process that runs a stage of this pipeline, `start()` never returns.
    /// - Throws: ``PipelineError`` with ``PipelineError/Code/alreadyStarted`` on a second call,
    ///   ``PipelineError/Code/typeMismatch`` when a stage's output type is not the next
    ///   stage's input type, ``PipelineError/Code/invalidDefinition`` for a pipeline without
    ///   stages, or ``PipelineError/Code/startFailed`` when workers could not start.
    public func start() throws {
        let (ordinal, label, stages, fingerprint, startup) = try state.withLock { state in
            guard case .building = state.phase else {
                throw PipelineError(
                    code: .alreadyStarted, pipeline: name ?? "this pipeline",
                    reason: "start() was called twice; call it once, after adding every stage")
            }
            let ordinal = ProcessRole.nextStartOrdinal()
            let label = name ?? "pipeline #\(ordinal)"
            let stages = Self.executionOrder(state.stages)
            try Self.validate(stages, label: label)
            let fingerprint = BuildIdentity.fingerprint(
                stages: "\(label): "
                    + stages.map { "\($0.label) x\($0.processes) chunk \($0.chunkSize.map(String.init) ?? "auto")" }
                    .joined(separator: ", "))
            let startup = OneShot<DriverSession?, any Error>()
            state.phase = .starting(startup)
            return (ordinal, label, stages, fingerprint, startup)
        }
        // Outside the lock: a driver waits here for every worker to connect, and a worker never
        // returns, while its stage bodies may call this pipeline (and get a clear error).
        switch ProcessRole.current {
        case .worker(let assignment) where assignment.ordinal == ordinal:
            state.withLock { $0.phase = .worker }
            Self.stageIsRunning.store(true, ordering: .releasing)
            startup.fulfill(.success(nil))
            WorkerProcess.run(
                assignment, stages: stages, maxSize: maxSize, pipelineLabel: label, fingerprint: fingerprint)
        case .worker:
            state.withLock { $0.phase = .inert }
            startup.fulfill(.success(nil))
        case .driver:
            do {
                try DescriptorBudget.check(
                    processes: stages.reduce(0) { $0 + $1.processes.resolved }, pipeline: label,
                    runtimeExists: DriverRuntime.existing != nil)
                let session = try DriverSession(
                    ordinal: ordinal, label: label, name: name, stages: stages, maxSize: maxSize,
                    fingerprint: fingerprint)
                state.withLock { $0.phase = .running(session) }
                if let style = progress.style { ProgressReporter.show(session, style: style) }
                startup.fulfill(.success(session))
            } catch {
                // As if start() had not been called: the definition may be fixed and started again.
                state.withLock { $0.phase = .building }
                startup.fulfill(.failure(error))
                throw error
            }
        }
    }

    private static func validate(_ stages: [StageDefinition], label: String) throws {
        guard !stages.isEmpty else {
            throw PipelineError(
                code: .invalidDefinition, pipeline: label,
                reason: "the pipeline has no stages; add an origin, task or destination before start()")
        }
        var seen: Set<String> = []
        for stage in stages where !seen.insert(stage.label).inserted {
            throw PipelineError(
                code: .invalidDefinition, pipeline: label, stage: stage.label,
                reason: "two stages are named \"\(stage.label)\"; give each stage of a pipeline its own name")
        }
        for (upstream, downstream) in zip(stages, stages.dropFirst()) {
            guard let output = upstream.output else {
                throw PipelineError(
                    code: .typeMismatch, pipeline: label, stage: upstream.label,
                    reason:
                        "it returns nothing, so \(downstream.label) would never receive an item; return a value or "
                        + "take an Emitter"
                )
            }
            guard output == downstream.input else {
                throw PipelineError(
                    code: .typeMismatch, pipeline: label, stage: downstream.label,
                    reason:
                        "it takes \(downstream.input) but \(upstream.label) produces \(output); make the types match")
            }
        }
    }

    private func session(for operation: String) throws -> DriverSession? {
        let phase = state.withLock { $0.phase }
        switch phase {
        case .building:
            throw PipelineError(
                code: .notStarted, pipeline: name ?? "this pipeline",
                reason: "\(operation) was called before start(); add the stages, call start(), then feed and join")
        case .starting(let startup):
            // Another thread is in start(): its outcome is this call's.
            return try startup.wait()
        case .worker:
            throw PipelineError(
                code: .invalidDefinition, pipeline: name ?? "this pipeline",
                reason:
                    "\(operation) was called by a stage of this pipeline, in its worker process; a stage passes items "
                    + "on by returning them or through its Emitter, and to another pipeline with Pipeline.send"
            )
        case .inert:
            // Before this worker's own start() the calls of a program's main are no-ops; after
            // it only a stage body can be calling, and an item it fed would vanish.
            guard !Self.stageIsRunning.load(ordering: .acquiring) else {
                throw PipelineError(
                    code: .invalidDefinition, pipeline: name ?? "this pipeline",
                    reason: "\(operation) was called by a stage of another pipeline, in its worker process, where "
                        + "this pipeline does not run; to pass items to another pipeline, give it a name and use "
                        + "Pipeline.send(name, item)")
            }
            return nil
        case .running(let session): return session
        }
    }

    /// Sends one item to the first stage. Blocks while the first stage's queue is full.
    ///
    /// - Throws: ``PipelineError`` when not started, when `Item` is not the first stage's
    ///   input type, after `join()` (``PipelineError/Code/feedClosed``), or when the pipeline
    ///   has failed (the failure itself).
    public func feed<Item: Encodable & Sendable>(_ item: Item) throws {
        try session(for: "feed")?.feed(CollectionOfOne(item))
    }

    /// Sends every item of `items` to the first stage, in order.
    ///
    /// ```swift
    /// try pipeline.feed(contentsOf: ["a", "b", "c"])
    /// ```
    public func feed<Items: Sequence>(contentsOf items: Items) throws where Items.Element: Encodable & Sendable {
        try session(for: "feed")?.feed(items)
    }

    /// Closes the feed and waits until every item fed has passed every stage.
    ///
    /// Calling it again returns (or throws) the same outcome.
    ///
    /// ```swift
    /// let report = try pipeline.join()
    /// if report.skippedCount > 0 { print("skipped \(report.skippedCount) items") }
    /// ```
    /// - Returns: the final counters, and the items stages with ``ErrorPolicy/skip`` dropped.
    /// A worker that dies meanwhile is replaced and its unacknowledged batches are replayed to
    /// its siblings: `join()` still returns, and the results hold every item exactly once.
    ///
    /// - Throws: ``PipelineError`` naming the pipeline, stage, worker pid and item when a stage
    ///   threw (``PipelineError/Code/stageFailed``), or when a worker died and its stage had no
    ///   worker and no restart left, or it held items another program sent with
    ///   `Pipeline.send` (``PipelineError/Code/workerDied``).
    @discardableResult
    public func join() throws -> JoinReport {
        guard let session = try session(for: "join") else {
            return JoinReport(stats: PipelineStats(pipeline: name ?? "inert", stages: []), skipped: [], skippedCount: 0)
        }
        defer { ProgressReporter.joined(session) }
        return try session.join()
    }

    /// The results of the last stage, as they complete.
    ///
    /// Called after ``join()``, it yields every result. Called before, it closes the feed (so
    /// feed everything first) and yields results live while the pipeline runs; it ends when
    /// the pipeline does. Each result is yielded once: a second call yields only what earlier
    /// iterations did not take, which is nothing after a complete iteration. If the pipeline
    /// fails the sequence ends early, and ``join()`` throws the failure.
    ///
    /// ```swift
    /// for line in try pipeline.asCompleted(as: String.self) { print(line) }
    /// ```
    /// - Throws: ``PipelineError/Code/noResults`` when the last stage returns nothing, and
    ///   ``PipelineError/Code/typeMismatch`` when `Result` is not its output type.
    public func asCompleted<Result: Decodable & Sendable>(as type: Result.Type = Result.self) throws -> ResultSequence<
        Result
    > {
        guard let session = try session(for: "asCompleted") else { return ResultSequence(run: nil) }
        return try session.results(as: type)
    }

    /// The results of the last stage as an asynchronous sequence that throws the pipeline's
    /// failure at its end. Otherwise as ``asCompleted(as:)``: each result is taken as it is
    /// yielded, so a loop left early leaves the rest for the next reader. Waiting for results
    /// suspends the task; it never blocks a thread of Swift's cooperative pool.
    ///
    /// ```swift
    /// for try await total in try pipeline.results(as: Int.self) { print(total) }
    /// ```
    /// - Throws: as ``asCompleted(as:)``; the sequence throws the pipeline's
    ///   ``PipelineError`` when it ends because the pipeline failed.
    public func results<Result: Decodable & Sendable>(as type: Result.Type = Result.self) throws -> AsyncThrowingStream<
        Result, any Error
    > {
        let sequence = try asCompleted(as: type)
        guard let run = sequence.run else { return AsyncThrowingStream { $0.finish() } }
        return AsyncThrowingStream {
            if let result = await run.nextResult(as: Result.self) { return result }
            if let failure = run.failure { throw failure }
            return nil
        }
    }

    /// Says how many items the program will feed in all, so progress shows a percentage, a
    /// bar and an ETA. Feeding a collection says it already (its count, for the first feed);
    /// call this when feeding a sequence of unknown length, or several collections.
    ///
    /// ```swift
    /// try pipeline.expect(items: 1_000_000)
    /// for chunk in chunks { try pipeline.feed(contentsOf: chunk) }
    /// ```
    /// - Throws: ``PipelineError/Code/notStarted`` before `start()`.
    public func expect(items: Int) throws {
        try session(for: "expect")?.run.expect(items: UInt64(max(0, items)), explicitly: true)
    }

    /// Per-stage counters from the coordinator: workers per host, items in and out, queue
    /// depth, errors.
    /// - Throws: ``PipelineError/Code/notStarted`` before `start()`.
    public func stats() throws -> PipelineStats {
        guard let session = try session(for: "stats") else {
            return PipelineStats(pipeline: name ?? "inert", stages: [])
        }
        return session.stats()
    }
}
