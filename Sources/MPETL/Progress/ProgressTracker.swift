import Foundation

/// Turns successive coordinator snapshots into ``RunProgress``: rates and busy shares smoothed
/// over the last few seconds, the stage that limits throughput, per-host rates, and an ETA.
///
/// Counters arrive in bursts (a worker reports every 10–250 ms), so a rate taken between two
/// snapshots a second apart jumps by a factor of three from one second to the next; an
/// exponentially weighted average with a time constant of ``smoothingSeconds`` follows a real
/// change within seconds and hides the bursts. Not thread-safe: one owner calls it.
package final class ProgressTracker {
    /// The smoothing's time constant: a change in rate shows 63% after this long.
    package static let smoothingSeconds = 5.0
    /// A stage whose workers are busy at least this share of the time, and busier than every
    /// other stage, limits the pipeline.
    package static let bottleneckBusyShare = 0.5

    private struct Smoothed {
        var value: Double?

        /// Moves towards `sample`, by how much `seconds` of time weighs against the constant.
        mutating func add(_ sample: Double, over seconds: Double) {
            guard let current = value else {
                value = sample
                return
            }
            let weight = 1 - exp(-seconds / ProgressTracker.smoothingSeconds)
            value = current + (sample - current) * weight
        }
    }

    private struct StageSample {
        var items: UInt64
        var busySeconds: Double
        var rate = Smoothed()
        var busyShare = Smoothed()
    }

    private struct PipelineSample {
        var at: ContinuousClock.Instant
        var firstSeen: ContinuousClock.Instant
        var finished: UInt64
        var rate = Smoothed()
        var stages: [String: StageSample] = [:]
        var hosts: [String: (items: UInt64, rate: Smoothed)] = [:]
    }

    /// By run id: two programs on one coordinator may each run a `pipeline #0`.
    private var samples: [String: PipelineSample] = [:]

    package init() {}

    /// Takes a coordinator snapshot taken at `now`; returns what to show.
    package func update(_ pipelines: [PipelineStats], at now: ContinuousClock.Instant = .now) -> RunProgress {
        RunProgress(pipelines: pipelines.map { update($0, at: now) })
    }

    private func update(_ stats: PipelineStats, at now: ContinuousClock.Instant) -> PipelineProgress {
        let finished = stats.stages.last?.itemsIn ?? 0
        let known = samples[stats.id ?? stats.pipeline]
        var sample = known ?? PipelineSample(at: now, firstSeen: now, finished: finished)
        let seconds = max(0, (now - sample.at) / .seconds(1))
        let fresh = seconds > 0
        // A first look (`status`, the first block) and an ended run show the whole run's
        // averages: there is nothing to smooth, and an ended run's last seconds say nothing.
        let elapsed = stats.elapsedSeconds
        let wholeRun = (known == nil || stats.state == .finished || stats.state == .failed) && elapsed > 0
        if wholeRun {
            sample.rate.value = Double(finished) / elapsed
        } else if fresh {
            sample.rate.add(Double(finished &- min(finished, sample.finished)) / seconds, over: seconds)
        }
        var stages: [StageProgress] = []
        for stage in stats.stages {
            var previous =
                sample.stages[stage.label] ?? StageSample(items: stage.itemsIn, busySeconds: stage.busySeconds)
            if wholeRun {
                previous.rate.value = Double(stage.itemsIn) / elapsed
                previous.busyShare.value =
                    stage.workers > 0 ? min(1, stage.busySeconds / (elapsed * Double(stage.workers))) : 0
            } else if fresh {
                let items = Double(stage.itemsIn &- min(stage.itemsIn, previous.items))
                previous.rate.add(items / seconds, over: seconds)
                let busy = max(0, stage.busySeconds - previous.busySeconds)
                let share = stage.workers > 0 ? min(1, busy / (seconds * Double(stage.workers))) : 0
                previous.busyShare.add(share, over: seconds)
            }
            previous.items = stage.itemsIn
            previous.busySeconds = stage.busySeconds
            sample.stages[stage.label] = previous
            stages.append(
                StageProgress(
                    name: stage.label, items: stage.itemsIn, itemsOut: stage.itemsOut,
                    rate: previous.rate.value ?? 0, busyShare: previous.busyShare.value ?? 0,
                    queue: stage.queueDepth, errors: stage.errors, workers: stage.workers,
                    workersLost: stage.workersLost, replayed: stage.replayed, isBottleneck: false,
                    longRunning: stage.longRunning))
        }
        if stats.state != .failed,
            let busiest = stages.indices.max(by: { stages[$0].busyShare < stages[$1].busyShare }),
            stages[busiest].busyShare >= Self.bottleneckBusyShare
        {
            stages[busiest].isBottleneck = true
        }
        var hosts: [HostProgress] = []
        var perHost: [String: (workers: Int, items: UInt64, lost: Int)] = [:]
        for stage in stats.stages {
            for host in stage.hosts {
                perHost[host.host, default: (0, 0, 0)].workers += host.workers
                perHost[host.host, default: (0, 0, 0)].items += host.itemsIn
                perHost[host.host, default: (0, 0, 0)].lost += host.workersLost
            }
        }
        for (host, totals) in perHost.sorted(by: { $0.key < $1.key }) {
            var previous = sample.hosts[host] ?? (totals.items, Smoothed())
            if wholeRun {
                previous.rate.value = Double(totals.items) / elapsed
            } else if fresh {
                previous.rate.add(Double(totals.items &- min(totals.items, previous.items)) / seconds, over: seconds)
            }
            previous.items = totals.items
            sample.hosts[host] = previous
            hosts.append(
                HostProgress(
                    host: host, workers: totals.workers, items: totals.items, rate: previous.rate.value ?? 0,
                    workersLost: totals.lost))
        }
        sample.at = now
        sample.finished = finished
        samples[stats.id ?? stats.pipeline] = sample
        let rate = sample.rate.value ?? 0
        let expected = stats.expectedItems
        let (fraction, eta) = Self.completion(stats, expected: expected, stages: stages)
        return PipelineProgress(
            name: stats.pipeline, state: stats.state, failure: stats.failure,
            elapsedSeconds: stats.elapsedSeconds > 0 ? stats.elapsedSeconds : (now - sample.firstSeen) / .seconds(1),
            fed: stats.itemsFed, finished: finished, expected: expected, fraction: fraction, etaSeconds: eta,
            rate: rate, stages: stages, hosts: hosts)
    }

    /// How far along the run is, and how long it has left, when the total is known.
    ///
    /// A stage may emit more or fewer items than it takes, so each stage's total is estimated
    /// from the feed and the ratio of out to in its earlier stages showed so far. The run is as
    /// far along as its least finished stage, and has left the longest any stage needs at its
    /// present rate (nil while a stage with work left runs at none).
    static func completion(
        _ stats: PipelineStats, expected: UInt64?, stages: [StageProgress]
    ) -> (fraction: Double?, etaSeconds: Double?) {
        guard let expected else { return (nil, nil) }
        guard expected > 0, !stages.isEmpty else { return (1, nil) }
        var total = Double(expected)
        var fraction = 1.0
        var eta: Double? = 0
        for stage in stages {
            let items = Double(stage.items)
            let left = max(0, total - items)
            fraction = min(fraction, total > 0 ? min(1, items / total) : 1)
            if left > 0 { eta = stage.rate > 0 ? eta.map { max($0, left / stage.rate) } : nil }
            // What the next stage will take: this one's total, times what it passed on per item.
            total = stage.items > 0 ? total * Double(stage.itemsOut) / items : total
        }
        return (fraction, stats.state == .running ? eta : nil)
    }
}
