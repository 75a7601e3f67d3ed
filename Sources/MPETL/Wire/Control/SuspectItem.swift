/// An item that killed a worker of its stage: the coordinator tells the stage's workers, so
/// the next one to run it describes it first, and skips it once it is quarantined.
struct SuspectItem: Codable, Equatable, Sendable {
    /// The item's lineage id (see ``ItemID``).
    var id: UInt64
    /// Set once it killed ``PoisonLedger/quarantineThreshold`` workers of a stage whose error
    /// policy is ``ErrorPolicy/skip``: the reason workers report when they skip it.
    var quarantine: String?
    /// Set when it ended a worker by itself (a crash) or by running past the stage's timeout:
    /// a stage running items concurrently runs it alone, so a second death names it.
    var isolate: Bool? = nil
}
