/// What the coordinator reports about a pipeline: per-stage counters for `stats()`, `status`,
/// progress displays and metrics.
extension PipelineRecord {
    /// A worker's counts as the stage's totals take them: a lost worker keeps only its done
    /// inputs (the rest was replayed and is counted by the workers that ran it again).
    private struct Counted {
        var itemsIn: UInt64
        var itemsOut: UInt64
        var replayed: UInt64

        init(_ slot: Slot) {
            let counters = slot.counters
            guard slot.lost else {
                (itemsIn, itemsOut, replayed) = (counters.itemsIn, counters.itemsOut, 0)
                return
            }
            // Done counts travel with every acknowledgement; the others with progress reports,
            // which may be older: the done count is the one to trust.
            itemsIn = counters.itemsDone ?? counters.itemsIn
            itemsOut = slot.outputsKept
            replayed = counters.itemsIn > itemsIn ? counters.itemsIn - itemsIn : 0
        }
    }

    func stats() -> PipelineStats {
        let state: PipelineStats.State =
            switch phase {
            case .launching, .connecting: .starting
            case .running: .running
            case .failing: .failing
            case .finished: .finished
            case .failed: .failed
            }
        let counted = slots.indices.map { stage in
            var counts = slots[stage].map(Counted.init)
            countCopiesApart(in: stage, &counts)
            return counts
        }
        var stats = PipelineStats(
            pipeline: label,
            stages: slots.indices.map { stage in
                let workers = slots[stage]
                let counts = counted[stage]
                var perHost: [String: Int] = [:]
                for slot in workers where slot.isRunningOrFinished {
                    perHost[slot.host ?? "?", default: 0] += 1
                }
                let itemsIn = counts.reduce(0) { $0 + $1.itemsIn }
                // In items: what reached the stage (or was sent to it) and is not finished yet.
                let sent = stage == 0 ? (feedItems ?? itemsFed) : counted[stage - 1].reduce(0) { $0 + $1.itemsOut }
                return StageStats(
                    label: registration.stages[stage].label, workersPerHost: perHost,
                    itemsIn: itemsIn,
                    itemsOut: counts.reduce(0) { $0 + $1.itemsOut },
                    queueDepth: sent > itemsIn ? sent - itemsIn : 0,
                    errors: workers.reduce(0) { $0 + $1.counters.errors },
                    malformed: workers.reduce(0) { $0 + $1.counters.malformed },
                    batches: workers.reduce(0) { $0 + $1.counters.batchesIn },
                    busySeconds: Double(workers.reduce(0) { $0 + $1.counters.busyNanoseconds }) / 1e9,
                    workersLost: workers.filter(\.lost).count,
                    longRunning: workers.compactMap { slot in
                        slot.runningItem.map {
                            LongRunningItem(
                                pid: $0.pid, host: slot.host ?? "?",
                                item: $0.item.name, seconds: $0.seconds)
                        }
                    },
                    replayed: counts.reduce(0) { $0 + $1.replayed },
                    hosts: hostStats(workers, counts))
            }, state: state, failure: failure.map { PipelineError($0).description })
        stats.id = registration.id
        stats.elapsedSeconds = ((endedAt ?? .now) - registeredAt) / .seconds(1)
        // The driver reports what it fed once per heartbeat: never show less than stage 0 took.
        stats.itemsFed = max(feedItems ?? itemsFed, stats.stages.first?.itemsIn ?? 0)
        stats.expectedItems = expectedItems
        return stats
    }

    /// Moves the copies `stage` ran of a lost producer's outputs from its items to `replayed`.
    ///
    /// A producer's outputs beyond the ones its done inputs made come again from its siblings
    /// when its inputs are replayed, so what this stage counts of them beyond that many are
    /// copies: every output of a done input was done by a worker here, and is counted once,
    /// by a live worker as run, by a lost one as done. The originals this stage reported (see
    /// `+Originals`) count among the producer's outputs: their copies were left out of the
    /// replay. The results collector knows the last stage's copies exactly: once that stage has
    /// finished, its output is the count of results kept.
    private func countCopiesApart(in stage: Int, _ counts: inout [Counted]) {
        if stage > 0 {
            for (producer, lost) in slots[stage - 1].enumerated() where lost.lost {
                // What each worker's count holds of them: all it ran, or for a worker lost too,
                // the done ones its count keeps. Which worker ran which copy is not known: each
                // is given a share in proportion.
                let ran = slots[stage].map { slot in
                    (slot.lost ? slot.counters.itemsDoneFrom : slot.counters.itemsFrom)?[UInt32(producer)] ?? 0
                }
                let total = ran.reduce(0, +)
                let outputs = lost.outputsKept
                guard total > outputs else { continue }
                var left = total - outputs
                for worker in ran.indices.sorted(by: { ran[$0] > ran[$1] }) where left > 0 && ran[worker] > 0 {
                    let share = (total - outputs).multipliedFullWidth(by: ran[worker])
                    let taken = min(left, counts[worker].itemsIn, total.dividingFullWidth(share).quotient + 1)
                    counts[worker].itemsIn -= taken
                    counts[worker].replayed += taken
                    left -= taken
                }
            }
        }
        let isLast = stage == slots.count - 1
        if isLast, let kept = collector.resultsKept, slots[stage].allSatisfy({ $0.finished || $0.exited }) {
            let sent = counts.reduce(0) { $0 + $1.itemsOut }
            if kept < sent {
                var extra = sent - kept
                for worker in counts.indices where extra > 0 {
                    let taken = min(extra, counts[worker].itemsOut)
                    counts[worker].itemsOut -= taken
                    extra -= taken
                }
            }
        }
    }

    /// The stage's counters per host; a host keeps its lost workers' done work.
    private func hostStats(_ workers: [Slot], _ counts: [Counted]) -> [HostStats] {
        var hosts: [String: HostStats] = [:]
        for (slot, count) in zip(workers, counts) where slot.host != nil && !slot.dropped {
            let name = slot.host ?? "?"
            var host =
                hosts[name]
                ?? HostStats(host: name, workers: 0, itemsIn: 0, itemsOut: 0, busySeconds: 0, workersLost: 0)
            if slot.isRunningOrFinished { host.workers += 1 }
            if slot.lost { host.workersLost += 1 }
            host.itemsIn += count.itemsIn
            host.itemsOut += count.itemsOut
            host.busySeconds += Double(slot.counters.busyNanoseconds) / 1e9
            hosts[name] = host
        }
        return hosts.values.sorted { $0.host < $1.host }
    }
}

extension PipelineRecord.Slot {
    /// What a lost worker's output counts: its done inputs' outputs, and its outputs the next
    /// stage ran and kept, whose copies its replay left out.
    var outputsKept: UInt64 { (counters.itemsOutDone ?? counters.itemsOut) + originalsRan }
}
