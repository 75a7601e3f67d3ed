/// Item ids: 64 bits that name an item by its lineage, the same in every replay.
///
/// A replayed batch makes its stage run again on the same inputs, so everything derived from
/// it reaches the next stages a second time. Ids let the results collector recognise those
/// copies: an emitted item's id is a hash of its parent's id and its place among that
/// parent's emits, so a deterministic stage gives a replayed item the id it had before.
enum ItemID {
    /// The id of the `index`-th item emitted while processing the item `parent` (splitmix64's
    /// finaliser: every input bit changes about half the output bits).
    @inline(__always)
    static func child(of parent: UInt64, index: UInt64) -> UInt64 {
        var z = parent &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The parent of items fed by the driver: feeding is one parent's stream of emits.
    static let feed: UInt64 = 0xFEED_FEED_FEED_FEED
    /// Mixed into a stage item's id to parent what its body sends through `Pipeline.send`,
    /// so those ids differ from the ids of what it emits to the next stage.
    static let sendSalt: UInt64 = 0x5E4D_5E4D_5E4D_5E4D
}
