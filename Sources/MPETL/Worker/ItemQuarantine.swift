import Dispatch

/// What a worker knows about items that killed workers of its stage, and where it records the
/// item it runs (see ``HeldItemRecord``).
///
/// Before the body runs on an item, ``admit(_:describe:)`` records the item, describes it when
/// that is worth its cost (a suspect, or a slow stage, so its agent can name it), stamps its
/// start when the stage is timed, and refuses it once the coordinator quarantined it. Only the
/// worker's one thread uses it.
final class ItemQuarantine {
    private let record: HeldItemRecord?
    private var suspects: [UInt64: SuspectItem] = [:]
    /// Whether every item is described: its stage is slow (a description costs about a
    /// microsecond; an item here takes a millisecond or more) or not timed yet.
    var describesEveryItem = false
    /// Whether the stage has a timeout: every item's start is stamped for the agent.
    private let timed: Bool
    /// Taken on the fast path only when nothing above applies.
    private var plain: Bool { suspects.isEmpty && !describesEveryItem && !timed }

    /// `record` is nil where no agent handed one over (an older agent): items are then not
    /// recorded, and deaths are not traced to them. `timeout`: the stage's, for the agent.
    /// `concurrency`: the stage's items in flight at most, one record slot each.
    init(record: HeldItemRecord?, timeout: Duration? = nil, concurrency: Int = 1) {
        self.record = record
        timed = timeout != nil
        if let timeout { record?.setTimeout(nanoseconds: UInt64(max(1, timeout / .nanoseconds(1)))) }
        if concurrency > 1 { record?.setSlotsInUse(concurrency) }
    }

    /// Whether `id` must run alone: it ended a worker of this stage by itself, and running it
    /// beside others would leave the next death without a single culprit.
    func isolates(_ id: UInt64) -> Bool {
        !suspects.isEmpty && suspects[id]?.isolate == true
    }

    /// The coordinator's current list for this worker's stage.
    func update(_ list: [SuspectItem]) {
        suspects = Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
    }

    /// Records that the body is about to run on item `id`, in record slot `slot`. Returns nil
    /// to run it, or the reason it is quarantined (the body must not run; the item is skipped).
    @inline(__always)
    func admit(_ id: UInt64, slot: Int = 0, describe: () -> String) -> String? {
        if plain {
            record?.hold(id, slot: slot)
            return nil
        }
        return admitInDetail(id, slot: slot, describe: describe)
    }

    private func admitInDetail(_ id: UInt64, slot: Int, describe: () -> String) -> String? {
        let suspect = suspects[id]
        if let reason = suspect?.quarantine { return reason }
        guard let record else { return nil }
        let startedAt = timed || describesEveryItem ? DispatchTime.now().uptimeNanoseconds : 0
        if suspect != nil || describesEveryItem {
            record.hold(id, slot: slot, describedAs: describe(), startedAt: startedAt)
        } else {
            record.hold(id, slot: slot, startedAt: startedAt)
        }
        return nil
    }

    /// The body returned or threw: slot `slot` holds no item.
    @inline(__always)
    func release(slot: Int = 0) {
        record?.release(slot: slot)
    }
}
