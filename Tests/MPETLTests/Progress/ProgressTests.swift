import Testing

@testable import MPETL

/// The progress model and its lines, on fixed snapshots: smoothing, busy shares, the
/// bottleneck, percentage and ETA, per-host rates, and the formats a person reads.
@Suite("Progress")
struct ProgressTests {
    static func stage(
        _ name: String, items: UInt64, busy: Double, workers: Int = 2, hosts: [HostStats] = []
    ) -> StageStats {
        var stage = StageStats(
            label: name, workersPerHost: ["h": workers], itemsIn: items, itemsOut: items, queueDepth: 0, errors: 0,
            malformed: 0)
        stage.busySeconds = busy
        stage.hosts = hosts
        return stage
    }

    /// `elapsed`: seconds since the run began, as the coordinator says; a series of snapshots
    /// taken a second apart gives each its own.
    static func pipeline(
        _ stages: [StageStats], expected: UInt64? = nil, state: PipelineStats.State = .running, elapsed: Double = 10
    ) -> PipelineStats {
        var stats = PipelineStats(pipeline: "orders", stages: stages, state: state)
        stats.expectedItems = expected
        stats.itemsFed = stages.first?.itemsIn ?? 0
        stats.elapsedSeconds = elapsed
        return stats
    }

    @Test func burstyCountsGiveASteadyRateNearTheirMean() {
        let tracker = ProgressTracker()
        let start = ContinuousClock.now
        var items: UInt64 = 0
        var rates: [Double] = []
        // Reports arrive in bursts: 5,300 then 18,500 items in alternate seconds (mean 11,900/s).
        for second in 0...30 {
            items += second % 2 == 0 ? 5_300 : 18_500
            let progress = tracker.update(
                [Self.pipeline([Self.stage("parse", items: items, busy: Double(second))], elapsed: Double(second))],
                at: start + .seconds(second))
            rates.append(progress.pipelines[0].stages[0].rate)
        }
        let late = rates.suffix(10)
        #expect(late.allSatisfy { (9_000...15_000).contains($0) }, "smoothed, not jumping 5,300 ↔ 18,500: \(late)")
        let mean = late.reduce(0, +) / Double(late.count)
        #expect(abs(mean - 11_900) < 1_000, "\(mean)")
    }

    @Test func twoProgramsPipelinesOfOneNameAreSmoothedApart() {
        let tracker = ProgressTracker()
        let start = ContinuousClock.now
        var rates: [[Double]] = []
        for second in 0...20 {
            let elapsed = Double(second)
            var first = Self.pipeline([Self.stage("parse", items: UInt64(second) * 1_000, busy: 0)], elapsed: elapsed)
            var other = Self.pipeline([Self.stage("parse", items: UInt64(second) * 10, busy: 0)], elapsed: elapsed)
            (first.id, other.id) = ("a:1:0", "b:2:0")
            let progress = tracker.update([first, other], at: start + .seconds(second))
            rates.append(progress.pipelines.flatMap { $0.stages.map(\.rate) })
        }
        let last = rates.last ?? []
        #expect(last.count == 2 && abs(last[0] - 1_000) < 50 && abs(last[1] - 10) < 1, "each its own rate: \(last)")
    }

    @Test func aFirstLookAndAnEndedRunShowTheWholeRunsAverages() {
        // `status` looks once; a summary comes after the run: nothing to smooth either way.
        var stats = Self.pipeline([
            Self.stage("read", items: 1_000, busy: 2), Self.stage("enrich", items: 1_000, busy: 15),
        ])
        let first = ProgressTracker().update([stats]).pipelines[0]
        #expect(first.stages.map(\.rate) == [100, 100], "1,000 items in 10 s")
        #expect(first.stages.map(\.busyShare) == [0.1, 0.75], "15 s busy of 2 workers × 10 s")
        #expect(first.stages.map(\.isBottleneck) == [false, true])
        stats.state = .finished
        let summary = ProgressRenderer.lines(ProgressTracker().update([stats]), final: true)
        #expect(
            summary.contains {
                $0.contains("enrich") && $0.contains(" 75% ") && $0.hasSuffix(ProgressRenderer.bottleneckMark)
            }, "\(summary)")
    }

    @Test func aStageThatEmitsMoreThanItTakesCountsTowardsThePercentageByWhatItWillGet() throws {
        // 200 fed; "split" passes on 1.5 per item, so "write" will get 300, and has 120.
        var split = Self.stage("split", items: 100, busy: 0)
        split.itemsOut = 150
        let stats = Self.pipeline([split, Self.stage("write", items: 120, busy: 0)], expected: 200)
        let progress = ProgressTracker().update([stats]).pipelines[0]
        let fraction = try #require(progress.fraction)
        #expect(abs(fraction - 0.4) < 1e-9, "write: 120 of 300; not 120 of 200 (\(fraction))")
        let eta = try #require(progress.etaSeconds)
        #expect(abs(eta - 15) < 1e-9, "write: 180 left at 12/s (\(eta))")
    }

    @Test func replayedItemsShowEvenWhereNoWorkerWasLost() {
        var stage = Self.stage("write", items: 100, busy: 0)
        stage.replayed = 7
        let lines = ProgressRenderer.lines(ProgressTracker().update([Self.pipeline([stage])]))
        #expect(lines.contains { $0.contains("write") && $0.hasSuffix("replayed 7") }, "\(lines)")
    }

    @Test func aLiveBlockFitsTheTerminalSoTheNextRedrawCoversIt() {
        var written: [String] = []
        let printer = ProgressPrinter(style: .live, write: { written.append($0) }, columns: { 40 })
        let stats = Self.pipeline([Self.stage("a stage with a rather long name", items: 1_234_567, busy: 3)])
        printer.show([stats])
        printer.show([stats])
        let rows = written[0].split(separator: "\n")
        #expect(rows.allSatisfy { $0.count < 40 }, "\(rows)")
        #expect(written[1].hasPrefix("\u{1B}[\(rows.count)A"), "goes up over every row it drew")
    }

    @Test func theBusiestStageIsMarkedAsTheBottleneckOnlyWhenBusyMostOfTheTime() {
        let tracker = ProgressTracker()
        let start = ContinuousClock.now
        var progress = RunProgress(pipelines: [])
        for second in 0...10 {
            let elapsed = Double(second)
            // Two workers each: 2 × 0.95 s of 1 s busy in "enrich", far less elsewhere.
            progress = tracker.update(
                [
                    Self.pipeline(
                        [
                            Self.stage("read", items: UInt64(second * 100), busy: elapsed * 0.2),
                            Self.stage("enrich", items: UInt64(second * 100), busy: elapsed * 1.9),
                            Self.stage("write", items: UInt64(second * 100), busy: elapsed * 0.6),
                        ], elapsed: elapsed)
                ], at: start + .seconds(second))
        }
        let stages = progress.pipelines[0].stages
        #expect(stages.map(\.isBottleneck) == [false, true, false])
        #expect(abs(stages[1].busyShare - 0.95) < 0.01 && abs(stages[0].busyShare - 0.1) < 0.01)
        let lines = ProgressRenderer.lines(progress)
        #expect(lines.contains { $0.contains("enrich") && $0.hasSuffix(ProgressRenderer.bottleneckMark) })
        #expect(lines.filter { $0.contains(ProgressRenderer.bottleneckMark) }.count == 1)

        // Nobody busy half the time: the feed is what limits, no stage is marked.
        let idle = ProgressTracker()
        var quiet = RunProgress(pipelines: [])
        for second in 0...5 {
            quiet = idle.update(
                [
                    Self.pipeline(
                        [Self.stage("read", items: UInt64(second), busy: Double(second) * 0.4)], elapsed: Double(second)
                    )
                ],
                at: start + .seconds(second))
        }
        #expect(quiet.pipelines[0].stages.allSatisfy { !$0.isBottleneck })
    }

    @Test func aKnownTotalGivesPercentageBarAndEta() throws {
        let tracker = ProgressTracker()
        let start = ContinuousClock.now
        var progress = RunProgress(pipelines: [])
        for second in 0...10 {
            progress = tracker.update(
                [
                    Self.pipeline(
                        [Self.stage("write", items: UInt64(second * 50), busy: 0)], expected: 1_000,
                        elapsed: Double(second))
                ],
                at: start + .seconds(second))
        }
        let pipeline = progress.pipelines[0]
        #expect(pipeline.fraction == 0.5)
        let eta = try #require(pipeline.etaSeconds)
        #expect(abs(eta - 10) < 0.5, "500 left at 50/s: \(eta)")
        let head = ProgressRenderer.lines(progress)[0]
        #expect(head.contains("finished 500 (50.0%) [##########..........]"), "\(head)")
        #expect(head.contains("ETA 10s"), "\(head)")
        #expect(head.contains("fed 500 of 1,000"), "\(head)")
        let summary = ProgressRenderer.lines(progress, final: true)[0]
        #expect(!summary.contains("ETA"), "no ETA in a summary: \(summary)")
    }

    @Test func eachHostsItemsAndRateAddUpOverItsStages() {
        let tracker = ProgressTracker()
        let start = ContinuousClock.now
        var progress = RunProgress(pipelines: [])
        for second in 0...10 {
            let n = UInt64(second)
            let hosts = [
                HostStats(host: "a", workers: 1, itemsIn: 30 * n, itemsOut: 0, busySeconds: 0, workersLost: 0),
                HostStats(host: "b", workers: 2, itemsIn: 70 * n, itemsOut: 0, busySeconds: 0, workersLost: 1),
            ]
            progress = tracker.update(
                [
                    Self.pipeline(
                        [
                            Self.stage("parse", items: 100 * n, busy: 0, workers: 3, hosts: hosts),
                            Self.stage("write", items: 100 * n, busy: 0, workers: 3, hosts: hosts),
                        ], elapsed: Double(second))
                ], at: start + .seconds(second))
        }
        let hosts = progress.pipelines[0].hosts
        #expect(hosts.map(\.host) == ["a", "b"])
        #expect(hosts.map(\.items) == [600, 1_400])
        #expect(hosts.map(\.workers) == [2, 4])
        #expect(abs(hosts[0].rate - 60) < 1 && abs(hosts[1].rate - 140) < 1, "\(hosts)")
        #expect(ProgressRenderer.lines(progress).contains("  host b: 4 workers, 1,400 items, 140/s"))
    }

    @Test func countsAndDurationsReadAtAGlance() {
        #expect(ProgressRenderer.count(0) == "0")
        #expect(ProgressRenderer.count(999) == "999")
        #expect(ProgressRenderer.count(1_234_567) == "1,234,567")
        #expect(ProgressRenderer.duration(0.44) == "0.4s")
        #expect(ProgressRenderer.duration(42) == "42s")
        #expect(ProgressRenderer.duration(65) == "1m 05s")
        #expect(ProgressRenderer.duration(7_380) == "2h 03m")
    }
}
