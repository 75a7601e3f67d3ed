import Dispatch

extension Pipeline {
    /// The pipeline's driver calls for async code: the same calls, awaited, each of which
    /// suspends the calling task instead of blocking a thread of Swift's concurrency pool.
    ///
    /// A program built on async/await (a Hummingbird or Vapor service, an
    /// `AsyncParsableCommand`) drives pipelines through this view:
    ///
    /// ```swift
    /// let pipeline = Pipeline()
    /// try pipeline.addTask(concurrency: 32) { (id: Int) in try await lookup(id) }
    /// try await pipeline.async.start()
    /// try await pipeline.async.feed(contentsOf: ids)             // any Sequence or AsyncSequence
    /// let report = try await pipeline.async.join()
    /// for try await row in try pipeline.async.results(as: Row.self) { print(row) }
    /// ```
    ///
    /// Which of ``Pipeline``'s own calls block the calling thread, and for how long:
    /// - ``Pipeline/start()``: while it starts and connects the workers (tens of milliseconds
    ///   to seconds).
    /// - ``Pipeline/feed(_:)`` and ``Pipeline/feed(contentsOf:)``: while the first stage's
    ///   queue is full (backpressure), as long as the pipeline takes to make room.
    /// - ``Pipeline/join()``: until every item has passed every stage.
    /// - ``Pipeline/asCompleted(as:)``'s iteration: until the next result arrives.
    /// - ``Pipeline/stats()`` and ``Pipeline/results(as:)`` never wait for the pipeline.
    ///
    /// Here each blocking call runs on a thread of its own (a serial dispatch queue per
    /// pipeline, never the concurrency pool) while the task awaits it. Cancelling the task does
    /// not cancel the call: a pipeline ends by `join()` or by its program ending.
    public var async: AsyncPipeline { AsyncPipeline(pipeline: self) }
}

/// ``Pipeline``'s driver calls for async code; see ``Pipeline/async``.
public struct AsyncPipeline: Sendable {
    let pipeline: Pipeline

    /// Starts the pipeline's workers (see ``Pipeline/start()``). In a worker process it does
    /// not return: the process runs its stage and ends.
    /// - Throws: as ``Pipeline/start()``.
    public func start() async throws {
        try await pipeline.blockingCalls.run { try pipeline.start() }
    }

    /// Sends one item to the first stage (see ``Pipeline/feed(_:)``), suspending while its
    /// queue is full. Feeding many items one call at a time costs a thread hand-off each
    /// (microseconds); ``feed(contentsOf:)`` hands them over in batches.
    /// - Throws: as ``Pipeline/feed(_:)``.
    public func feed<Item: Encodable & Sendable>(_ item: Item) async throws {
        try await pipeline.blockingCalls.run { try pipeline.feed(item) }
    }

    /// Sends every item of `items` to the first stage, in order (see
    /// ``Pipeline/feed(contentsOf:)``).
    /// - Throws: as ``Pipeline/feed(contentsOf:)``.
    public func feed<Items: Sequence & Sendable>(contentsOf items: Items) async throws
    where Items.Element: Encodable & Sendable {
        try await pipeline.blockingCalls.run { try pipeline.feed(contentsOf: items) }
    }

    /// Sends every element of an async sequence to the first stage, in order, as they come:
    /// lines of a file, rows of a query, messages from a queue. Elements are handed over in
    /// runs of up to `handOff` items (default 1,024), so the feed keeps up with a fast source
    /// without a thread hand-off per item.
    ///
    /// ```swift
    /// try await pipeline.async.feed(contentsOf: FileHandle.standardInput.bytes.lines)
    /// ```
    /// - Throws: as ``Pipeline/feed(contentsOf:)``, or the error `items` throws.
    public func feed<Items: AsyncSequence>(contentsOf items: Items, handOff: Int = 1_024) async throws
    where Items.Element: Encodable & Sendable {
        var run: [Items.Element] = []
        run.reserveCapacity(max(1, handOff))
        for try await item in items {
            run.append(item)
            if run.count >= max(1, handOff) {
                let full = run
                run.removeAll(keepingCapacity: true)
                try await feed(contentsOf: full)
            }
        }
        if !run.isEmpty { try await feed(contentsOf: run) }
    }

    /// Closes the feed and waits until every item fed has passed every stage (see
    /// ``Pipeline/join()``).
    /// - Returns: the final counters, and the items stages with ``ErrorPolicy/skip`` dropped.
    /// - Throws: as ``Pipeline/join()``.
    @discardableResult
    public func join() async throws -> JoinReport {
        try await pipeline.blockingCalls.run { try pipeline.join() }
    }

    /// The results of the last stage as they complete (see ``Pipeline/results(as:)``).
    /// - Throws: as ``Pipeline/asCompleted(as:)``.
    public func results<Result: Decodable & Sendable>(as type: Result.Type = Result.self) throws
        -> AsyncThrowingStream<Result, any Error>
    {
        try pipeline.results(as: type)
    }

    /// Per-stage counters (see ``Pipeline/stats()``); never waits for the pipeline.
    /// - Throws: ``PipelineError/Code/notStarted`` before `start()`.
    public func stats() throws -> PipelineStats {
        try pipeline.stats()
    }
}

/// Runs a pipeline's blocking driver calls for async callers, one at a time and in order, on a
/// dispatch queue's thread: never on Swift's concurrency pool, whose few threads a call blocked
/// by backpressure would starve.
final class BlockingCalls: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: "mpetl.driver.\(label)")
    }

    func run<Value: Sendable>(_ call: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try call() }) }
        }
    }
}
