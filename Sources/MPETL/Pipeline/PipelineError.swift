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
    ///
    /// The set is closed: a code is one of these constants, or one decoded from another MPETL
    /// process, never made from free text, so a misspelt code cannot exist.
    public struct Code: Hashable, Sendable, CustomStringConvertible, Codable {
        private let kind: Kind

        /// Every code and its name, which is also its form on the wire.
        private enum Kind: String, CaseIterable {
            case notStarted = "not started"
            case alreadyStarted = "already started"
            case feedClosed = "feed closed"
            case typeMismatch = "type mismatch"
            case invalidDefinition = "invalid definition"
            case stageFailed = "stage failed"
            case workerDied = "worker died"
            case timedOut = "timed out"
            case startFailed = "start failed"
            case noResults = "no results"
            case unknownPipeline = "unknown pipeline"
            case pipelineFinished = "pipeline finished"
            case duplicateName = "duplicate name"
            case joinOrder = "join order"
            case linkedPipelineFailed = "linked pipeline failed"
            case interrupted = "interrupted"
            case transportFailed = "transport failed"
        }

        private init(_ kind: Kind) { self.kind = kind }

        /// `feed`, `join` or `asCompleted` was called before `start()`.
        public static let notStarted = Code(.notStarted)
        /// `start()` was called twice, or a stage was added after `start()`.
        public static let alreadyStarted = Code(.alreadyStarted)
        /// `feed` was called after `join()` or `asCompleted()` closed the feed.
        public static let feedClosed = Code(.feedClosed)
        /// Consecutive stages, the fed items or the requested results disagree on a type.
        public static let typeMismatch = Code(.typeMismatch)
        /// The pipeline cannot run as defined (no stages, a bad count).
        public static let invalidDefinition = Code(.invalidDefinition)
        /// A stage body, its setup or its teardown threw.
        public static let stageFailed = Code(.stageFailed)
        /// A worker process ended before its stage was done, and its work could not be replayed:
        /// its stage had no worker and no restart left, or it held items another program sent
        /// with `Pipeline.send`.
        public static let workerDied = Code(.workerDied)
        /// An item ran longer than its stage's `timeout:`, and the stage's policy neither skips
        /// it nor has a retry left.
        public static let timedOut = Code(.timedOut)
        /// Workers could not be started or connected.
        public static let startFailed = Code(.startFailed)
        /// The last stage returns nothing, so there are no results to read.
        public static let noResults = Code(.noResults)
        /// `Pipeline.send` named a pipeline that no running program registered.
        public static let unknownPipeline = Code(.unknownPipeline)
        /// `Pipeline.send` named a pipeline that has already finished.
        public static let pipelineFinished = Code(.pipelineFinished)
        /// Another running pipeline already has this name.
        public static let duplicateName = Code(.duplicateName)
        /// `join()` was called on a pipeline before a pipeline that sends to it; join that one first.
        public static let joinOrder = Code(.joinOrder)
        /// A pipeline this one sends to, or receives from, failed.
        public static let linkedPipelineFailed = Code(.linkedPipelineFailed)
        /// The driver received SIGINT or SIGTERM and stopped its pipelines.
        public static let interrupted = Code(.interrupted)
        /// The coordinator or a socket failed underneath the pipeline.
        public static let transportFailed = Code(.transportFailed)

        /// The code's name, e.g. `stage failed`.
        public var description: String { kind.rawValue }

        /// Every code, for tests and documentation.
        static var all: [Code] { Kind.allCases.map(Code.init) }

        /// Reads a code's name; an unknown name fails decoding, like any malformed message.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let name = try container.decode(String.self)
            guard let kind = Kind(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "unknown error code \"\(name)\"; expected one of \(Kind.allCases.map(\.rawValue))"
                )
            }
            self.init(kind)
        }

        /// Writes the code's name.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(kind.rawValue)
        }
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
    public init(
        code: Code, pipeline: String, stage: String? = nil, pid: Int32? = nil,
        host: String? = nil, item: String? = nil, reason: String
    ) {
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
        self.init(
            code: report.code, pipeline: report.pipeline, stage: report.stageLabel, pid: report.pid,
            host: report.host, item: report.item, reason: report.reason)
        cause = report.cause
        workersKilled = report.workersKilled
    }
}
