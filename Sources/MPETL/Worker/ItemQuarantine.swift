/// What a worker knows about items that killed workers of its stage, and where it records the
/// item it runs (see ``HeldItemRecord``).
///
/// Before the body runs on an item, ``admit(_:describe:)`` records the item, describes it if
/// it is a suspect (so its agent can name it should this worker die too), and refuses it once
/// the coordinator quarantined it. Only the worker's one thread uses it.
final class ItemQuarantine {
    private let record: HeldItemRecord?
    private var suspects: [UInt64: SuspectItem] = [:]

    /// `record` is nil where no agent handed one over (an older agent): items are then not
    /// recorded, and deaths are not traced to them.
    init(record: HeldItemRecord?) {
        self.record = record
    }

    /// The coordinator's current list for this worker's stage.
    func update(_ list: [SuspectItem]) {
        suspects = Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
    }

    /// Records that the body is about to run on item `id`. Returns nil to run it, or the reason
    /// it is quarantined (the body must not run; the item is skipped).
    @inline(__always)
    func admit(_ id: UInt64, describe: () -> String) -> String? {
        if suspects.isEmpty {
            record?.hold(id)
            return nil
        }
        return admitAmongSuspects(id, describe: describe)
    }

    private func admitAmongSuspects(_ id: UInt64, describe: () -> String) -> String? {
        guard let suspect = suspects[id] else {
            record?.hold(id)
            return nil
        }
        if let reason = suspect.quarantine { return reason }
        record?.hold(id, describedAs: describe())
        return nil
    }

    /// The body returned or threw: no item is held.
    @inline(__always)
    func release() {
        record?.release()
    }
}
