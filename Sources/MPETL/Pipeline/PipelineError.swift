/// An error from a pipeline, whose description says what went wrong and what to do next.
///
/// Catch it to inspect where a failure happened:
///
/// ```swift
/// do {
///     try pipeline.join()
/// } catch let error as PipelineError where error.code == .stageFailed {
///     print(error.stage ?? "?", error.pid ?? 0, error.item ?? "")
/// }
/// ```
public struct PipelineError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What kind of failure this is. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible, Codable {
        let name: String

        /// `feed`, `join` or `asCompleted` was called before `start()`.
        public static let notStarted = Code(name: "not started")
        /// `start()` was called twice, or a stage was added after `start()`.
        public static let alreadyStarted = Code(name: "already started")
        /// `feed` was called after `join()` or `asCompleted()` closed the feed.
        public static let feedClosed = Code(name: "feed closed")
        /// Consecutive stages, the fed items or the requested results disagree on a type.
        public static let typeMismatch = Code(name: "type mismatch")
        /// The pipeline cannot run as defined (no stages, a bad count).
        public static let invalidDefinition = Code(name: "invalid definition")
        /// A stage body, its setup or its teardown threw.
        public static let stageFailed = Code(name: "stage failed")
        /// A worker process ended before its stage was done, and its work could not be replayed:
        /// its stage had no worker and no restart left, or it held items another program sent
        /// with `Pipeline.send`.
        public static let workerDied = Code(name: "worker died")
        /// An item ran longer than its stage's `timeout:`, and the stage's policy neither skips
        /// it nor has a retry left.
        public static let timedOut = Code(name: "timed out")
        /// Workers could not be started or connected.
        public static let startFailed = Code(name: "start failed")
        /// The last stage returns nothing, so there are no results to read.
        public static let noResults = Code(name: "no results")
        /// `Pipeline.send` named a pipeline that no running program registered.
        public static let unknownPipeline = Code(name: "unknown pipeline")
        /// `Pipeline.send` named a pipeline that has already finished.
        public static let pipelineFinished = Code(name: "pipeline finished")
        /// Another running pipeline already has this name.
        public static let duplicateName = Code(name: "duplicate name")
        /// `join()` was called on a pipeline before a pipeline that sends to it; join that one first.
        public static let joinOrder = Code(name: "join order")
        /// A pipeline this one sends to, or receives from, failed.
        public static let linkedPipelineFailed = Code(name: "linked pipeline failed")
        /// The driver received SIGINT or SIGTERM and stopped its pipelines.
        public static let interrupted = Code(name: "interrupted")
        /// The coordinator or a socket failed underneath the pipeline.
        public static let transportFailed = Code(name: "transport failed")

        /// The code's name, e.g. `stage failed`.
        public var description: String { name }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The pipeline's name, or `pipeline #N` for an unnamed one (N counts `start()` calls).
    public var pipeline: String
    /// The stage involved, e.g. `task 1 (String -> String)`, when one is.
    public var stage: String?
    /// The worker process involved, when one is.
    public var pid: Int32?
    /// The host of that worker.
    public var host: String?
    /// A description of the item being processed, when one was.
    public var item: String?
    /// How many worker processes the item ended, when it is a *poison item*: one that killed
    /// every worker that ran it (a crash in the body), with ``code`` ``Code/workerDied``.
    public var workersKilled: Int?
    /// What happened and what to do about it.
    public var reason: String
    /// What the stage's own code (body, setup, teardown or commit) threw, when that is the
    /// failure: it crossed from the worker process as its type, description and, for a
    /// ``PipelineError`` (a `Pipeline.send` to an unknown name, say), its code.
    ///
    /// ```swift
    /// } catch let error as PipelineError where error.cause?.code == .unknownPipeline { … }
    /// ```
    public var cause: Cause?

    /// An error thrown in a worker process, as the driver sees it.
    public struct Cause: Codable, Equatable, Sendable, CustomStringConvertible {
        /// The thrown value's type, e.g. `PipelineError` or `DecodingError`.
        public var type: String
        /// Its description.
        public var description: String
        /// Its ``PipelineError/Code`` when it was a ``PipelineError``.
        public var code: Code?

        init(_ error: any Error) {
            type = String(describing: Swift.type(of: error))
            description = String(describing: error)
            code = (error as? PipelineError)?.code
        }
    }

    /// Creates an error; MPETL makes these, tests and wrappers may too.
    public init(code: Code, pipeline: String, stage: String? = nil, pid: Int32? = nil,
                host: String? = nil, item: String? = nil, reason: String) {
        self.code = code
        self.pipeline = pipeline
        self.stage = stage
        self.pid = pid
        self.host = host
        self.item = item
        self.reason = reason
    }

    /// `pipeline, stage, worker pid P on H, item I: reason`, with the parts that apply.
    public var description: String {
        var text = "\(pipeline)"
        if let stage { text += ", \(stage)" }
        if let pid { text += ", worker pid \(pid)" + (host.map { " on \($0)" } ?? "") }
        if let item { text += ", item \(item)" }
        return text + ": " + reason
    }
}

extension PipelineError {
    init(_ report: FailureReport) {
        self.init(code: Code(name: report.code), pipeline: report.pipeline, stage: report.stageLabel, pid: report.pid,
                  host: report.host, item: report.item, reason: report.reason)
        cause = report.cause
        workersKilled = report.workersKilled
    }
}
