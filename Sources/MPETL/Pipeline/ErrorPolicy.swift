/// What a stage does when its body throws for an item.
///
/// ```swift
/// try pipeline.addTask(onError: .retry(3)) { (url: String) in try fetch(url) }
/// try pipeline.addTask(onError: .skip) { (row: String) in try Row(parsing: row) }
/// let report = try pipeline.join()
/// for skipped in report.skipped { print(skipped.item, skipped.error) }
/// ```
public enum ErrorPolicy: Sendable, Equatable, CustomStringConvertible {
    /// The pipeline fails: every worker stops and `join()` throws an error naming the
    /// pipeline, stage, worker pid, host and item. The default.
    case fail
    /// The item is dropped and the stage goes on; `join()` returns normally, and its report
    /// lists every skipped item with its error.
    case skip
    /// The body runs again, up to `times` more times; then as ``fail``. Values an attempt
    /// emitted before throwing are discarded, so a retried item passes on its values once.
    case retry(Int)

    /// `fail`, `skip` or `retry(n)`.
    public var description: String {
        switch self {
        case .fail: "fail"
        case .skip: "skip"
        case .retry(let times): "retry(\(times))"
        }
    }
}

/// An item a stage with ``ErrorPolicy/skip`` dropped because its body threw.
public struct SkippedItem: Codable, Equatable, Sendable {
    /// The stage, e.g. `task 1 (String -> Int)`.
    public var stage: String
    /// A description of the item.
    public var item: String
    /// The error the body threw.
    public var error: String
    /// The worker process that ran the body.
    public var pid: Int32
    /// The host of that worker.
    public var host: String
    /// The item's id (see ``ItemID``): a replayed batch skips its items again, and the
    /// coordinator reports each once.
    var itemID: UInt64 = 0
}

/// What `join()` returns once every item has passed every stage.
///
/// ```swift
/// let report = try pipeline.join()
/// print(report.stats.stages.map(\.itemsIn), report.skipped.count)
/// ```
public struct JoinReport: Sendable, Equatable {
    /// The pipeline's final counters.
    public var stats: PipelineStats
    /// Items that stages with ``ErrorPolicy/skip`` dropped, with their errors (at most the
    /// first 100,000; ``skippedCount`` counts them all).
    public var skipped: [SkippedItem]
    /// How many items were skipped in all.
    public var skippedCount: Int
}
