/// The item a worker was running when it ended, as its agent read it from the worker's
/// ``HeldItemRecord``.
struct HeldItem: Codable, Equatable, Sendable {
    /// The item's lineage id (see ``ItemID``): the same in every replay.
    var id: UInt64
    /// Its description, when the worker wrote one (it does for items already under suspicion,
    /// and in stages whose items are slow or timed).
    var item: String?
    /// Set when the agent ended the worker because the item ran past its stage's `timeout:`:
    /// how long it had run, in seconds.
    var timedOutAfter: Double? = nil

    /// The item as messages name it: its description, else its lineage id.
    var name: String { item ?? "with lineage id 0x\(String(id, radix: 16))" }
}
