/// Items that killed workers, per stage: how often, how, and which are quarantined.
///
/// A worker that ends itself (a crash signal or a failing exit, see
/// ``ExitStatus/isSelfInflicted``) while running an item makes that item a *suspect*: its batch
/// is replayed to another worker (at-least-once), which describes the item before running it.
/// An item that kills ``quarantineThreshold`` workers running it alone is a *poison item*; a
/// death beside other items (a stage running several at once) only makes each a suspect, which
/// then runs alone, so an innocent item never shares a poison item's fate. Under
/// ``ErrorPolicy/skip`` it is quarantined: every worker of the stage skips it and `join()`
/// lists it as skipped. Under any other policy the pipeline fails naming it, rather than
/// spending the stage's restarts on it. Deaths by SIGKILL or SIGTERM do not make an item poison:
/// a person, a supervisor or the OOM killer sends those, whatever the item. They are still
/// traced, so when a stage runs out of restarts and every worker it lost held the same item,
/// the error names that item.
struct PoisonLedger {
    struct Entry: Equatable {
        /// Workers that died running it, however they died.
        var deaths = 0
        /// Those that ended themselves (see ``ExitStatus/isSelfInflicted``) while running it
        /// alone: only these make it poison.
        var crashes = 0
        /// Those that ended themselves while running it beside other items (a stage with
        /// `concurrency:`): any of them may have been the cause, so it is only suspected, and
        /// runs alone from then on.
        var crashesBesideOthers = 0
        /// Those their agent ended because the item ran past the stage's timeout.
        var timeouts = 0
        /// The item's description, from a worker that described it before it died.
        var item: String?
        /// How each worker it killed ended.
        var statuses: [ExitStatus] = []
        /// Set once quarantined: the reason its skips give.
        var quarantine: String?

        /// The item as errors name it: its description, else its lineage id.
        func name(id: UInt64) -> String {
            item
                ?? "with lineage id 0x\(String(id, radix: 16)) (the body killed its worker before it could be "
                + "described)"
        }

        /// "2 workers of this stage (each was killed by signal 11 (Segmentation fault))".
        var killed: String {
            let distinct = statuses.reduce(into: [ExitStatus]()) { if !$0.contains($1) { $0.append($1) } }
            let how = distinct.count == 1 ? "each \(distinct[0])" : distinct.map(\.description).joined(separator: "; ")
            return "\(deaths) workers of this stage (\(how))"
        }
    }

    /// Deaths that make an item poison: one replay elsewhere rules out a fault of one worker.
    static let quarantineThreshold = 2
    private var stages: [Int: [UInt64: Entry]] = [:]
    /// Workers of each stage that died between items (or whose item their agent could not tell).
    private var deathsHoldingNothing: [Int: Int] = [:]

    var isEmpty: Bool { stages.isEmpty }

    /// Counts a worker of `stage` that died running `held`, `alone` or beside other items;
    /// returns the item's entry after it.
    mutating func recordDeath(stage: Int, holding held: HeldItem, alone: Bool = true, status: ExitStatus) -> Entry {
        var entry = stages[stage]?[held.id] ?? Entry()
        entry.deaths += 1
        if held.timedOutAfter != nil {
            entry.timeouts += 1
        } else if status.isSelfInflicted {
            if alone { entry.crashes += 1 } else { entry.crashesBesideOthers += 1 }
        }
        entry.statuses.append(status)
        if let item = held.item { entry.item = item }
        stages[stage, default: [:]][held.id] = entry
        return entry
    }

    /// Counts a worker of `stage` that died holding no item.
    mutating func recordDeath(stage: Int) {
        deathsHoldingNothing[stage, default: 0] += 1
    }

    /// The one item every worker `stage` lost was running, if there is one.
    func soleCulprit(of stage: Int) -> (id: UInt64, entry: Entry)? {
        guard deathsHoldingNothing[stage] == nil, let entries = stages[stage], entries.count == 1,
            let only = entries.first
        else { return nil }
        return (only.key, only.value)
    }

    /// Quarantines the item `id` of `stage`; its skips report `reason`.
    mutating func quarantine(stage: Int, id: UInt64, reason: String) {
        stages[stage]?[id]?.quarantine = reason
    }

    /// What the workers of `stage` must know.
    func suspects(of stage: Int) -> [SuspectItem] {
        (stages[stage] ?? [:]).map {
            SuspectItem(
                id: $0.key, quarantine: $0.value.quarantine,
                isolate: $0.value.crashes + $0.value.crashesBesideOthers + $0.value.timeouts > 0 ? true : nil)
        }
    }
}
