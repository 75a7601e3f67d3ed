import Testing

@testable import MPETL

/// A lost worker's replay waits for the next stage's originals, and carries them so its
/// siblings leave their copies out; driven event by event without processes.
@Suite("Replays held for the next stage's originals")
struct HeldReplayTests {
    typealias Fixture = EndOfStreamTests

    /// The `copies` of the `consumerLost` about `stage` sent to `identity`, if one was.
    static func copies(_ actions: [CoordinatorAction], to identity: [UInt8], stage: Int) -> [UInt64]? {
        for case .send(let to, .consumerLost(_, let lostStage, _, let copies)) in actions
        where to == identity && lostStage == stage {
            return copies ?? []
        }
        return nil
    }

    @Test func theReplayOfALostWorkerWaitsForEveryNextStageWorkerToNameItsOriginals() {
        var (record, _) = Fixture.runningRecord(processes: [1, 2, 2])
        _ = record.noteDone(Fixture.address(1, 0), DoneItems(items: 60, outputs: 60))
        var actions = record.exited(stage: 1, worker: 0, status: .signaled(9))
        #expect(Self.copies(actions, to: Fixture.identity(0, 0), stage: 1) == nil, "its producer waits")
        for worker in 0..<2 {
            guard
                case .send(_, .producerLost(_, 0, let settled))? = actions.first(where: {
                    if case .send(Fixture.identity(2, worker), .producerLost) = $0 { return true }
                    return false
                })
            else {
                Issue.record("worker \(worker) of the next stage was not asked: \(actions)")
                continue
            }
            #expect(settled == 60, "its first 60 outputs came from done inputs")
        }
        #expect(Fixture.sent(actions, to: Fixture.driver) == ["consumerLost"], "the driver hears at once")

        actions = record.originalsRan(Fixture.address(2, 0), producer: 0, ids: [7, 8])
        #expect(actions.isEmpty, "one answer of two")
        actions = record.originalsRan(Fixture.address(2, 0), producer: 0, ids: [9])
        #expect(actions.isEmpty, "a repeated answer counts once")
        actions = record.originalsRan(Fixture.address(2, 1), producer: 0, ids: [10])
        #expect(
            Self.copies(actions, to: Fixture.identity(0, 0), stage: 1) == [7, 8, 10], "then it replays without those")
        #expect(record.slots[1][0].outputsKept == 60 + 3, "the originals count as its outputs")
    }

    @Test func aNextStageWorkerThatEndsWithoutAnsweringNoLongerHoldsTheReplay() {
        var (record, _) = Fixture.runningRecord(processes: [2, 2])
        _ = record.exited(stage: 0, worker: 1, status: .signaled(9))
        var actions = record.originalsRan(Fixture.address(1, 0), producer: 1, ids: [5])
        #expect(Self.copies(actions, to: Fixture.driver, stage: 0) == nil)
        // Its copies then run again, and are counted apart: no hang waiting for it.
        actions = record.exited(stage: 1, worker: 1, status: .signaled(9))
        actions += record.stopAwaiting(Fixture.address(1, 1))
        #expect(Self.copies(actions, to: Fixture.driver, stage: 0) == [5], "the driver feeds stage 0: it replays")
    }

    @Test func aLastStageWorkerAndAStageRunningSeveralItemsAtOnceReplayAtOnce() {
        var (record, _) = Fixture.runningRecord(processes: [1, 2])
        var actions = record.exited(stage: 1, worker: 0, status: .signaled(9))
        #expect(
            Self.copies(actions, to: Fixture.identity(0, 0), stage: 1) == [],
            "the results collector drops copies itself")

        var registration = Fixture.registration(processes: [2, 2])
        registration.stages[0].concurrency = 8
        var concurrent = PipelineRecord(registration: registration, driver: Fixture.driver)
        for worker in 0..<2 {
            for stage in 0..<2 {
                concurrent.spawned(stage: stage, worker: worker, pid: Int32(100 + 10 * stage + worker), host: "h")
                _ = concurrent.hello(
                    Fixture.address(stage, worker), identity: Fixture.identity(stage, worker),
                    pid: Int32(100 + 10 * stage + worker), host: "h", fingerprint: "fp",
                    endpoints: ["ipc:///tmp/s\(stage)w\(worker)"])
            }
        }
        for worker in 0..<2 { for stage in 0..<2 { _ = concurrent.workerReady(Fixture.address(stage, worker)) } }
        actions = concurrent.exited(stage: 0, worker: 0, status: .signaled(9))
        #expect(
            Self.copies(actions, to: Fixture.driver, stage: 0) == [],
            "its outputs are not in input order: the next stage cannot name them")
    }

    @Test func aReplayWaitingForAWorkerLostInTurnGoesAfterThatWorkersOwnReplay() {
        var (record, _) = Fixture.runningRecord(processes: [2, 2, 2])
        _ = record.exited(stage: 0, worker: 0, status: .signaled(9))
        var actions = record.originalsRan(Fixture.address(1, 1), producer: 0, ids: [1])
        // The other stage-1 worker dies before answering: its own replay is held in turn.
        actions += record.exited(stage: 1, worker: 0, status: .signaled(9))
        actions += record.stopAwaiting(Fixture.address(1, 0))
        #expect(Self.copies(actions, to: Fixture.driver, stage: 0) == nil, "the stage-0 replay waits for it")
        actions = record.originalsRan(Fixture.address(2, 0), producer: 0, ids: [20])
        actions += record.originalsRan(Fixture.address(2, 1), producer: 0, ids: [21])
        let order = actions.compactMap { action -> Int? in
            guard case .send(_, .consumerLost(_, let stage, _, _)) = action else { return nil }
            return stage
        }
        #expect(order.first == 1 && order.last == 0, "stage 1's replay, with its copies, goes first: \(order)")
        #expect(Self.copies(actions, to: Fixture.driver, stage: 0) == [1])
        #expect(Self.copies(actions, to: Fixture.identity(0, 1), stage: 1) == [20, 21])
    }

    @Test func onlyAcknowledgedInputsCountAsSettledForALostWorker() {
        var (record, _) = Fixture.runningRecord(processes: [1, 2, 2])
        _ = record.noteDone(Fixture.address(1, 0), DoneItems(items: 60, outputs: 60))
        // A later progress report says 90 are done: their acknowledgement never left.
        _ = record.progress(
            Fixture.address(1, 0),
            WorkerCounters(itemsIn: 100, itemsOut: 100, itemsDone: 90, itemsOutDone: 90))
        let actions = record.exited(stage: 1, worker: 0, status: .signaled(9))
        var settled: [UInt64] = []
        for case .send(_, .producerLost(_, _, let value)) in actions { settled.append(value) }
        #expect(settled == [60, 60])
        #expect(record.stats().stages[1].itemsIn == 60, "its producers replay the other 40")
    }
}
