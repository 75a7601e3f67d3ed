import Testing
import ZeroMQ

@testable import MPETL

/// The coordinator's end-of-stream and replacement rules, driven event by event without processes.
@Suite("End of stream by acknowledgement")
struct EndOfStreamTests {
    static let driver: [UInt8] = [0xD]

    static func registration(
        processes: [Int], collector: Bool = true,
        collectorEndpoints: [Endpoint] = ["ipc:///tmp/results"], confirmsLosses: Bool? = nil
    ) -> PipelineRegistration {
        PipelineRegistration(
            id: "p", ordinal: 0, name: nil,
            stages: processes.enumerated().map {
                StageSummary(label: "stage \($0.offset)", processes: $0.element, chunkSize: 1)
            },
            fingerprint: "fp", executable: "/bin/true", arguments: [], runDirectory: "/tmp",
            collectorEndpoints: collector ? collectorEndpoints : [], host: "h",
            input: StageInput(typeName: "Int", chunkSize: 1, highWaterMark: 0), confirmsLosses: confirmsLosses)
    }

    static func identity(_ stage: Int, _ worker: Int) -> [UInt8] { [UInt8(stage), UInt8(worker)] }
    static func address(_ stage: Int, _ worker: Int) -> WorkerAddress {
        WorkerAddress(pipeline: "p", stage: stage, worker: worker)
    }

    /// A record whose workers have all said hello and are ready.
    static func runningRecord(
        processes: [Int], collector: Bool = true, confirmsLosses: Bool? = nil
    ) -> (PipelineRecord, [CoordinatorAction]) {
        var record = PipelineRecord(
            registration: registration(processes: processes, collector: collector, confirmsLosses: confirmsLosses),
            driver: driver)
        var actions: [CoordinatorAction] = []
        for (stage, count) in processes.enumerated() {
            for worker in 0..<count {
                record.spawned(stage: stage, worker: worker, pid: Int32(100 + stage * 10 + worker), host: "h")
            }
        }
        for (stage, count) in processes.enumerated() {
            for worker in 0..<count {
                actions += record.hello(
                    address(stage, worker), identity: identity(stage, worker), pid: Int32(100 + stage * 10 + worker),
                    host: "h", fingerprint: "fp", endpoints: ["ipc:///tmp/s\(stage)w\(worker)"])
            }
        }
        for (stage, count) in processes.enumerated() {
            for worker in 0..<count { actions += record.workerReady(address(stage, worker)) }
        }
        return (record, actions)
    }

    /// The messages sent to `identity`, by case name.
    static func sent(_ actions: [CoordinatorAction], to identity: [UInt8]) -> [String] {
        actions.compactMap { action in
            guard case .send(let to, let message) = action, to == identity else { return nil }
            return String(describing: message).prefix { $0 != "(" }.description
        }
    }

    static func counters(in batchesIn: UInt64, out batchesOut: UInt64) -> WorkerCounters {
        WorkerCounters(batchesIn: batchesIn, itemsIn: batchesIn, batchesOut: batchesOut, itemsOut: batchesOut)
    }

    @Test func workersAreWiredToTheNextStageAndTheDriverHearsReadyLast() {
        let (record, actions) = Self.runningRecord(processes: [1, 2])
        #expect(record.phase == .running)
        let assignments = actions.compactMap { action -> [ConsumerEndpoint]? in
            guard case .send(_, .assign(let consumers)) = action else { return nil }
            return consumers
        }
        #expect(
            assignments == [
                [
                    ConsumerEndpoint(worker: 0, endpoint: "ipc:///tmp/s1w0"),
                    ConsumerEndpoint(worker: 1, endpoint: "ipc:///tmp/s1w1"),
                ],
                [ConsumerEndpoint(worker: 0, endpoint: "ipc:///tmp/results")],
                [ConsumerEndpoint(worker: 0, endpoint: "ipc:///tmp/results")],
            ])
        #expect(Self.sent(actions, to: Self.driver) == ["ready"])
    }

    @Test func acknowledgementsGoToTheProducerTheyAreFor() {
        let (record, _) = Self.runningRecord(processes: [1, 2])
        let fromStageOne = record.acknowledgements(from: Self.address(1, 1), upTo: [0: 5])
        guard case .send(Self.identity(0, 0), .acknowledged(_, let consumer, let upTo)) = fromStageOne.first else {
            Issue.record("expected an acknowledgement for stage 0's worker, got \(fromStageOne)")
            return
        }
        #expect(consumer == 1 && upTo == 5)
        let fromStageZero = record.acknowledgements(
            from: Self.address(0, 0), upTo: [BatchHeader.driverProducer: 3, 7: 9])
        #expect(
            Self.sent(fromStageZero, to: Self.driver) == ["acknowledged"],
            "the feed's, and no one's for an unknown producer")
        #expect(fromStageZero.count == 1)
        let fromCollector = record.acknowledgements(from: Self.address(2, 0), upTo: [0: 4, 1: 2])
        #expect(Self.sent(fromCollector, to: Self.identity(1, 0)) == ["acknowledged"])
        #expect(Self.sent(fromCollector, to: Self.identity(1, 1)) == ["acknowledged"])
    }

    @Test func workersFinishOnlyOnceEverythingFedIsAcknowledgedThenExitAfterTeardown() {
        var (record, _) = Self.runningRecord(processes: [1, 2])
        var actions = record.progress(Self.address(0, 0), Self.counters(in: 10, out: 10))
        #expect(Self.sent(actions, to: Self.identity(0, 0)).isEmpty, "the feed is not complete")
        actions = record.feedComplete(batches: 10)
        for stage in 0..<2 {
            for worker in 0..<(stage == 0 ? 1 : 2) {
                #expect(Self.sent(actions, to: Self.identity(stage, worker)) == ["finish"])
            }
        }
        actions = record.workerFinished(Self.address(0, 0), Self.counters(in: 10, out: 7))
        #expect(Self.sent(actions, to: Self.identity(0, 0)) == ["exit"])
        actions = record.workerFinished(Self.address(1, 0), Self.counters(in: 3, out: 3))
        actions += record.workerFinished(Self.address(1, 1), Self.counters(in: 4, out: 4))
        #expect(Self.sent(actions, to: Self.driver).isEmpty, "join waits for the workers to exit")
        actions = record.exited(stage: 0, worker: 0, status: .exited(0))
        actions += record.exited(stage: 1, worker: 0, status: .exited(0))
        #expect(Self.sent(actions, to: Self.driver).isEmpty)
        actions = record.exited(stage: 1, worker: 1, status: .exited(0))
        #expect(Self.sent(actions, to: Self.driver) == ["finished"])
        #expect(record.phase == .finished)
        #expect(record.stats().stages.map(\.itemsIn) == [10, 7])
    }

    @Test func aPipelineWhoseLastStageReturnsNothingEndsWithoutACollector() {
        var (record, _) = Self.runningRecord(processes: [2], collector: false)
        var actions = record.feedComplete(batches: 0)
        #expect(Self.sent(actions, to: Self.identity(0, 0)) == ["finish"], "nothing was fed, so everything is done")
        actions = record.workerFinished(Self.address(0, 0), Self.counters(in: 0, out: 0))
        actions += record.workerFinished(Self.address(0, 1), Self.counters(in: 0, out: 0))
        #expect(Self.sent(actions, to: Self.identity(0, 1)) == ["exit"])
        actions =
            record.exited(stage: 0, worker: 0, status: .exited(0))
            + record.exited(stage: 0, worker: 1, status: .exited(0))
        #expect(Self.sent(actions, to: Self.driver) == ["finished"])
    }

    @Test func aThrowingStageAbortsEveryWorkerAndTheDriverHearsOnceTheyAreGone() {
        var (record, _) = Self.runningRecord(processes: [1, 1])
        let failure = FailureReport(
            pipeline: "pipeline #0", stage: 1, stageLabel: "stage 1", pid: 110, host: "h", item: "42", reason: "boom")
        var actions = record.stageFailed(Self.address(1, 0), failure, WorkerCounters())
        #expect(Self.sent(actions, to: Self.identity(0, 0)) == ["abort"])
        #expect(Self.sent(actions, to: Self.identity(1, 0)) == ["abort"])
        #expect(Self.sent(actions, to: Self.driver).isEmpty)
        actions = record.tick(now: .now + .seconds(3))
        let killed = actions.compactMap { action -> Int32? in
            guard case .kill(let pid) = action else { return nil }
            return pid
        }
        #expect(killed.sorted() == [100, 110], "workers that ignore abort are killed after the grace period")
        actions =
            record.exited(stage: 0, worker: 0, status: .signaled(9))
            + record.exited(stage: 1, worker: 0, status: .exited(1))
        #expect(Self.sent(actions, to: Self.driver) == ["failed"])
        guard case .send(_, .failed(let report)) = actions.last else {
            Issue.record("expected a failure report")
            return
        }
        #expect(report == failure)
    }

    @Test func aWorkerThatDiesMidStreamIsReplayedByItsProducersAndReplaced() {
        var (record, _) = Self.runningRecord(processes: [1, 2])
        var actions = record.exited(stage: 1, worker: 0, status: .signaled(9))
        #expect(Self.sent(actions, to: Self.identity(0, 0)) == ["consumerLost"], "its producer replays")
        #expect(
            Self.sent(actions, to: Self.driver) == ["consumerLost"], "the driver's collector starts dropping copies")
        let spawned = actions.compactMap { action -> WorkerAddress? in
            guard case .spawn(Self.driver, let request) = action else { return nil }
            return request.address
        }
        #expect(spawned == [Self.address(1, 2)], "a replacement starts under a new worker number")
        #expect(record.phase == .running)
        #expect(record.stats().stages.map(\.workersLost) == [0, 1])

        record.spawned(stage: 1, worker: 2, pid: 112, host: "h")
        actions = record.hello(
            Self.address(1, 2), identity: Self.identity(1, 2), pid: 112, host: "h",
            fingerprint: "fp", endpoints: ["ipc:///tmp/s1w2"])
        #expect(Self.sent(actions, to: Self.identity(1, 2)) == ["assign"])
        guard case .send(Self.identity(0, 0), .consumerAdded(_, 1, let consumer)) = actions.last else {
            Issue.record("expected stage 0's worker to hear of the replacement, got \(actions)")
            return
        }
        #expect(consumer == ConsumerEndpoint(worker: 2, endpoint: "ipc:///tmp/s1w2"))
        #expect(record.consumers(of: 1, from: "h").map(\.worker) == [1, 2])
    }

    @Test func theStageAfterALostWorkerCountsWhatItRanOfItsUnfinishedOutputsAsReplayed() {
        var (record, _) = Self.runningRecord(processes: [2, 2])
        // Worker 0 of stage 0 ran 100 items and passed them on; 60 were done when it died.
        _ = record.progress(Self.address(0, 0), WorkerCounters(batchesIn: 10, itemsIn: 100, itemsOut: 100))
        _ = record.noteDone(Self.address(0, 0), DoneItems(items: 60, outputs: 60, processed: 100, sent: 100))
        // The next stage ran 80 of its outputs: 60 done, and 20 that its replay brings again.
        _ = record.progress(
            Self.address(1, 0), WorkerCounters(itemsIn: 90, itemsOut: 90, itemsFrom: [0: 50, 1: 40]))
        _ = record.progress(
            Self.address(1, 1), WorkerCounters(itemsIn: 90, itemsOut: 90, itemsFrom: [0: 30, 1: 60]))
        _ = record.exited(stage: 0, worker: 0, status: .signaled(9))
        let stages = record.stats().stages
        #expect(stages[0].itemsIn == 60 && stages[0].replayed == 40, "its own stage keeps the done items")
        #expect(stages[1].itemsIn == 160 && stages[1].replayed == 20, "the copies are counted apart")
        #expect(stages[1].hosts.map(\.itemsIn) == [160], "and taken from the host's figures too")
    }

    @Test func workersLostInTwoStagesInARowStillCountEachItemOnce() {
        var (record, _) = Self.runningRecord(processes: [1, 2])
        // The producer passed on 100 and had 60 done; the consumer lost beside it had done 40
        // of them, and the live one ran the other 20 and 10 copies (plus 50 from elsewhere).
        _ = record.progress(Self.address(0, 0), WorkerCounters(itemsIn: 100, itemsOut: 100))
        _ = record.noteDone(Self.address(0, 0), DoneItems(items: 60, outputs: 60))
        _ = record.noteDone(
            Self.address(1, 0), DoneItems(items: 40, outputs: 40, processed: 55, sent: 55, from: [0: 40]))
        _ = record.progress(Self.address(1, 1), WorkerCounters(itemsIn: 80, itemsOut: 80, itemsFrom: [0: 30, 7: 50]))
        _ = record.exited(stage: 1, worker: 0, status: .signaled(9))
        _ = record.exited(stage: 0, worker: 0, status: .signaled(9))
        let stage = record.stats().stages[1]
        #expect(stage.itemsIn == 40 + 80 - 10, "the lost consumer's 40 done, the live one's 80 less 10 copies")
        #expect(stage.replayed == 15 + 10, "the lost consumer's 15 unfinished, and the copies")
    }

    @Test func anEndedPipelinesElapsedTimeStops() {
        var (record, _) = Self.runningRecord(processes: [1])
        record.endedAt = record.registeredAt + .seconds(3)
        #expect(record.stats().elapsedSeconds == 3)
    }

    @Test func anAcknowledgementCarriesWhatTheWorkerRanAndPassedOnSinceItsLastReport() {
        var (record, _) = Self.runningRecord(processes: [1])
        _ = record.progress(Self.address(0, 0), WorkerCounters(itemsIn: 10, itemsOut: 10))
        _ = record.noteDone(Self.address(0, 0), DoneItems(items: 20, outputs: 30, processed: 40, sent: 50))
        #expect(record.stats().stages.map(\.itemsIn) == [40])
        #expect(record.stats().stages.map(\.itemsOut) == [50])
    }

    @Test func theFirstReplayWaitsUntilTheDriversCollectorDropsCopies() {
        var (record, _) = Self.runningRecord(processes: [1, 2, 2], confirmsLosses: true)
        var actions = record.exited(stage: 2, worker: 0, status: .signaled(9))
        #expect(Self.sent(actions, to: Self.driver) == ["consumerLost"], "the driver hears first")
        #expect(Self.sent(actions, to: Self.identity(1, 0)).isEmpty, "its producers wait: a copy could come first")
        #expect(Self.sent(actions, to: Self.identity(1, 1)).isEmpty)
        actions = record.collectorDropsCopies()
        #expect(Self.sent(actions, to: Self.identity(1, 0)) == ["consumerLost"], "then they replay")
        #expect(Self.sent(actions, to: Self.identity(1, 1)) == ["consumerLost"])
        #expect(record.collectorDropsCopies().isEmpty, "each once")
        // From then on the collector drops copies anyway: the next loss replays at once.
        actions = record.exited(stage: 2, worker: 1, status: .signaled(9))
        #expect(Self.sent(actions, to: Self.identity(1, 0)) == ["consumerLost"])
    }

    @Test func aStageWithNoWorkerAndNoRestartLeftFailsNamingIt() {
        var (record, _) = Self.runningRecord(processes: [1, 1])
        var worker = 0
        var actions: [CoordinatorAction] = []
        for _ in 0...PipelineRecord.restarts(forProcesses: 1) {
            actions = record.exited(stage: 1, worker: worker, status: .signaled(9))
            worker += 1
        }
        #expect(record.isFailing)
        #expect(record.failure?.code == .workerDied)
        #expect(record.failure?.stageLabel == "stage 1")
        #expect(record.failure?.reason.contains("restarts are used up") == true, "\(record.failure?.reason ?? "")")
        #expect(Self.sent(actions, to: Self.identity(0, 0)).contains("abort"))
    }

    @Test func aWorkerThatSentThroughALinkIsReplayedLikeAnyOther() {
        var (record, _) = Self.runningRecord(processes: [1, 1])
        record.addOutbound(Self.address(1, 0), producer: SendLink.firstProducer)
        let actions = record.exited(stage: 1, worker: 0, status: .signaled(9))
        #expect(
            Self.sent(actions, to: Self.identity(0, 0)) == ["consumerLost"],
            "what it sent comes again from its replayed inputs")
        #expect(record.failure == nil)
    }

    @Test func aDeathAfterEverythingReachedTheEndFailsOnlyIfTheTeardownHadNotRun() {
        var (record, _) = Self.runningRecord(processes: [2], collector: false)
        _ = record.feedComplete(batches: 4)
        _ = record.workerFinished(Self.address(0, 0), Self.counters(in: 2, out: 0))
        var actions = record.exited(stage: 0, worker: 0, status: .signaled(9))
        #expect(record.failure == nil, "its teardown ran: nothing is lost")
        actions = record.exited(stage: 0, worker: 1, status: .signaled(9))
        #expect(record.failure?.code == .workerDied)
        #expect(record.failure?.reason.contains("during its teardown") == true, "\(record.failure?.reason ?? "")")
        #expect(Self.sent(actions, to: Self.driver) == ["failed"])
    }

    @Test func anItemSkippedAgainInAReplayIsReportedOnce() {
        var (record, _) = Self.runningRecord(processes: [1])
        func item(_ id: UInt64) -> SkippedItem {
            SkippedItem(stage: "stage 0", item: "\(id)", error: "e", pid: 1, host: "h", itemID: id)
        }
        record.skipped([item(5), item(6)])
        record.skipped([item(5)])
        #expect(record.skippedCount == 2)
        #expect(record.skipped.map(\.itemID) == [5, 6])
    }

    /// The failure a one-worker pipeline reports when its worker ends with `status` before
    /// saying hello.
    static func failureOfAWorkerThatNeverStarted(_ status: MPETL.ExitStatus) throws -> FailureReport {
        var record = PipelineRecord(registration: Self.registration(processes: [1]), driver: Self.driver)
        record.spawned(stage: 0, worker: 0, pid: 100, host: "h")
        let actions = record.exited(stage: 0, worker: 0, status: status)
        guard case .send(_, .failed(let report)) = actions.last else { throw ExpectedFailureReport() }
        return report
    }

    struct ExpectedFailureReport: Error {}

    @Test func aWorkerThatNeverReachesStartIsExplained() throws {
        let report = try Self.failureOfAWorkerThatNeverStarted(.exited(0))
        #expect(report.reason.contains("before reaching this pipeline's start()"))
    }

    @Test func aWorkerKilledWhileStartingDoesNotBlameTheProgram() throws {
        let report = try Self.failureOfAWorkerThatNeverStarted(.signaled(9))
        #expect(report.reason.contains("was killed by signal 9"))
        #expect(report.reason.contains("while starting"))
        #expect(
            !report.reason.contains("every process must build"), "nothing is wrong with the program: \(report.reason)")
    }

    @Test func aWorkerWithAnotherDefinitionIsRefused() {
        var record = PipelineRecord(registration: Self.registration(processes: [1]), driver: Self.driver)
        record.spawned(stage: 0, worker: 0, pid: 100, host: "h")
        let actions = record.hello(
            Self.address(0, 0), identity: Self.identity(0, 0), pid: 100, host: "h",
            fingerprint: "other", endpoints: ["ipc:///tmp/x"])
        #expect(Self.sent(actions, to: Self.identity(0, 0)) == ["refuse"])
        guard case .send(_, .refuse(let reason)) = actions.first else {
            Issue.record("expected a refusal")
            return
        }
        #expect(reason.contains("[other]") && reason.contains("[fp]"))
    }
}
