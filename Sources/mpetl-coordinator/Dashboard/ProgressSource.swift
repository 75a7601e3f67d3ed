import Foundation
import MPETL

/// The one place the dashboard turns the coordinator's successive snapshots into what the page
/// shows: smoothed rates, busy shares, the bottleneck, per-host shares.
///
/// For now it derives them itself from `[PipelineStats]` into ``RunView``, whose JSON has the
/// field names of MPETL's coming `RunProgress`; once `ProgressTracker` lands, this type wraps it
/// and `RunView` becomes `RunProgress`, and the page stays as it is.
final class ProgressSource {
    /// How quickly rates follow a change: a step in the rate is 63% through after this long.
    private static let smoothing = 3.0

    private struct Seen {
        var started: ContinuousClock.Instant
        var ended: ContinuousClock.Instant?
        var at: ContinuousClock.Instant
        var items: [UInt64]
        var busy: [Double]
        var rates: [Double]
        var shares: [Double]
    }

    private var seen: [Int: Seen] = [:]

    /// Takes a coordinator snapshot taken at `now`; returns the progress view.
    func update(_ pipelines: [PipelineStats], at now: ContinuousClock.Instant) -> RunView {
        RunView(pipelines: pipelines.enumerated().map { index, pipeline in update(index, pipeline, at: now) })
    }

    private func update(_ index: Int, _ pipeline: PipelineStats, at now: ContinuousClock.Instant) -> RunView.Pipeline {
        let stages = pipeline.stages
        var memory =
            seen[index]
            ?? Seen(
                started: now, at: now, items: stages.map(\.itemsIn), busy: stages.map(\.busySeconds),
                rates: stages.map { _ in 0 }, shares: stages.map { _ in 0 })
        let seconds = (now - memory.at).seconds
        if seconds > 0, memory.items.count == stages.count {
            let weight = 1 - exp(-seconds / Self.smoothing)
            for (position, stage) in stages.enumerated() {
                let rate = Double(stage.itemsIn &- memory.items[position]) / seconds
                let share = (stage.busySeconds - memory.busy[position]) / seconds / Double(max(stage.workers, 1))
                memory.rates[position] += weight * (rate - memory.rates[position])
                memory.shares[position] += weight * (min(max(share, 0), 1) - memory.shares[position])
            }
        }
        memory.items = stages.map(\.itemsIn)
        memory.busy = stages.map(\.busySeconds)
        memory.at = now
        let running = pipeline.state == .running || pipeline.state == .starting
        if !running, memory.ended == nil { memory.ended = now }
        seen[index] = memory

        // A worker waiting for room downstream is inside its stage body, so every stage before
        // the one that limits the pipeline looks as busy as it; the stages after it are starved.
        // So the limit is the last stage of those nearly as busy as the busiest.
        let most = memory.shares.max() ?? 0
        let limiting = memory.shares.indices.last { memory.shares[$0] >= most - 0.1 }
        let hosts = Set(stages.flatMap(\.workersPerHost.keys)).sorted()
        // Items per host need per-host counts from the coordinator; with one host they are all its.
        let oneHost = hosts.count == 1
        return RunView.Pipeline(
            name: pipeline.pipeline, state: pipeline.state, failure: pipeline.failure,
            elapsedSeconds: ((memory.ended ?? now) - memory.started).seconds,
            // Workers report at their own pace: a later stage may have counted more than the first.
            fed: max(stages.first.map { $0.itemsIn + $0.queueDepth } ?? 0, stages.map(\.itemsIn).max() ?? 0),
            finished: stages.last?.itemsIn ?? 0,
            rate: running ? memory.rates.last ?? 0 : 0,
            stages: stages.enumerated().map { position, stage in
                RunView.Stage(
                    name: stage.label, items: stage.itemsIn, itemsOut: stage.itemsOut,
                    rate: running ? memory.rates[position] : 0, busyShare: running ? memory.shares[position] : 0,
                    queue: stage.queueDepth, errors: stage.errors, workers: stage.workers,
                    workersLost: stage.workersLost, replayed: 0,
                    isBottleneck: running && position == limiting && memory.shares[position] >= 0.5,
                    longRunning: stage.longRunning)
            },
            hosts: hosts.map { host in
                RunView.Host(
                    host: host, workers: stages.reduce(0) { $0 + ($1.workersPerHost[host] ?? 0) },
                    items: oneHost ? stages.reduce(0) { $0 + $1.itemsIn } : 0,
                    rate: oneHost && running ? memory.rates.reduce(0, +) : 0)
            })
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
