import Testing

@testable import MPETL

/// A worker slot's life as one state: each step the coordinator hears moves it on, and what
/// the rules ask of it (is a process running, is it ready, did it finish) follows from it.
@Suite("Worker slot states")
struct WorkerSlotTests {
    typealias Slot = PipelineRecord.Slot

    @Test func aNewSlotHasNoProcess() {
        let slot = Slot()
        #expect(slot.state == .unstarted)
        #expect(slot.exited && !slot.ready && !slot.finished && !slot.lost)
    }

    @Test func startingTwiceDoesNotUndoAHello() {
        var slot = Slot()
        slot.markStarting()
        #expect(slot.state == .starting && !slot.exited)
        slot.state = .connected
        slot.markStarting()  // the agent's "spawned" can arrive after the worker's hello
        #expect(slot.state == .connected)
    }

    @Test func anExitRemembersWhetherTheStageHadFinished() {
        var finished = Slot()
        finished.state = .toldToExit(finished: true)
        finished.markExited()
        #expect(finished.state == .exited(lost: false, finished: true))
        #expect(finished.finished && finished.exited && !finished.toldToExit)

        var replacement = Slot()
        replacement.state = .toldToExit(finished: false)
        replacement.markExited()
        #expect(!replacement.finished)
    }

    @Test func aDroppedSlotStaysDroppedAndCountsAsDone() {
        var slot = Slot()
        slot.state = .dropped
        slot.markExited()
        slot.markStarting()
        #expect(slot.state == .dropped)
        #expect(slot.exited && slot.ready && slot.finished && slot.toldToExit && !slot.lost)
    }

    @Test func aHeldExitIsFinishedButNotToldToExit() {
        var slot = Slot()
        slot.state = .finished(exitHeld: true)
        #expect(slot.exitHeld && slot.finished && slot.ready && !slot.toldToExit && !slot.exited)
    }
}
