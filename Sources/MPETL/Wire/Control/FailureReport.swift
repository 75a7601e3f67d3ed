/// A stage's failure as it travels to the driver.
struct FailureReport: Codable, Equatable, Sendable {
    /// A ``PipelineError/Code`` name, e.g. "stage failed" or "worker died".
    var code: PipelineError.Code = .stageFailed
    var pipeline: String
    var stage: Int?
    var stageLabel: String?
    var pid: Int32?
    var host: String?
    var item: String?
    /// How many workers the item killed, when it is a poison item.
    var workersKilled: Int?
    var reason: String
    /// What the user's code threw, when that is the failure.
    var cause: PipelineError.Cause?
}
