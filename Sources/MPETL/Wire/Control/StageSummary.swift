/// One stage as the coordinator sees it.
struct StageSummary: Codable, Equatable, Sendable {
    var label: String
    var processes: Int
    var chunkSize: Int
    /// True when the stage's error policy is ``ErrorPolicy/skip``: an item that keeps killing
    /// its workers is then quarantined instead of failing the pipeline.
    var skipsFailedItems: Bool? = nil
    /// `n` when the policy is ``ErrorPolicy/retry(_:)``: an item that timed out is replayed up to
    /// `n` times.
    var retries: Int? = nil
    /// Items one worker runs at once, when more than 1 (absent: 1). A stage that runs one at
    /// a time emits in input order, which lets the stage after it name the copies a replay of
    /// a lost worker's inputs would bring (see ``UnsettledItems``).
    var concurrency: Int? = nil
}
