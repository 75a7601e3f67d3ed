/// The item a worker was running when it ended, as its agent read it from the worker's
/// ``HeldItemRecord``.
struct HeldItem: Codable, Equatable, Sendable {
    /// The item's lineage id (see ``ItemID``): the same in every replay.
    var id: UInt64
    /// Its description, when the worker wrote one (it does for items already under suspicion).
    var item: String?
}
