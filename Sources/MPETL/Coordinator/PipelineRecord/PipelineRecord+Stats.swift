/// What the coordinator reports about a pipeline: per-stage counters for `stats()`, `status`,
/// progress displays and metrics.
extension PipelineRecord {
    func stats() -> PipelineStats {
        let state: PipelineStats.State =
            switch phase {
            case .launching, .connecting: .starting
            case .running: .running
            case .failing: .failing
            case .finished: .finished
            case .failed: .failed
            }
        return PipelineStats(
            pipeline: label,
            stages: slots.indices.map { stage in
                let workers = slots[stage]
                var perHost: [String: Int] = [:]
                for slot in workers where !slot.dropped && (!slot.exited || slot.finished) {
                    perHost[slot.host ?? "?", default: 0] += 1
                }
                // In items: what reached the stage (or was sent to it) and is not finished yet.
                let sent = stage == 0 ? (feedItems ?? 0) : slots[stage - 1].reduce(0) { $0 + $1.counters.itemsOut }
                let received = workers.reduce(0) { $0 + $1.counters.itemsIn }
                return StageStats(
                    label: registration.stages[stage].label, workersPerHost: perHost,
                    itemsIn: workers.reduce(0) { $0 + $1.counters.itemsIn },
                    itemsOut: workers.reduce(0) { $0 + $1.counters.itemsOut },
                    queueDepth: sent > received ? sent - received : 0,
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
                    })
            }, state: state, failure: failure.map { PipelineError($0).description })
    }
}
