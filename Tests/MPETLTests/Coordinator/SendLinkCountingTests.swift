import Testing

@testable import MPETL

/// How `Pipeline.send` links enter the counting: the receiver waits for its senders' final
/// counts, and a sender keeps its sockets until the receiver counted its batches.
@Suite("Send links in end-of-stream counting")
struct SendLinkCountingTests {
    typealias Fixture = EndOfStreamTests
    static let link = SendLink.firstProducer

    @Test func aReceiverWaitsForItsOpenLinksAndCountsTheirBatches() {
        var (receiver, _) = Fixture.runningRecord(processes: [1])
        receiver.addInbound(producer: Self.link)
        var actions = receiver.feedComplete(batches: 2)
        actions += receiver.progress(Fixture.address(0, 0), Fixture.counters(in: 2, out: 2))
        #expect(Fixture.sent(actions, to: Fixture.identity(0, 0)).isEmpty, "the sender may still send")

        actions = receiver.inboundFinished(producer: Self.link, batches: 3)
        #expect(Fixture.sent(actions, to: Fixture.identity(0, 0)).isEmpty, "3 sent batches are not all done")
        var counters = Fixture.counters(in: 5, out: 5)
        counters.fromSenders = [Self.link: 3]
        actions = receiver.progress(Fixture.address(0, 0), counters)
        #expect(Fixture.sent(actions, to: Fixture.identity(0, 0)) == ["finish"])
        #expect(receiver.received(throughLink: Self.link) == 3)
    }

    @Test func aReceiverWaitsForPipelinesStartedBeforeIt() {
        var (receiver, _) = Fixture.runningRecord(processes: [1])
        _ = receiver.awaitSenders(["earlier"])
        var actions = receiver.feedComplete(batches: 0)
        #expect(Fixture.sent(actions, to: Fixture.identity(0, 0)).isEmpty)
        actions = receiver.awaitSenders([])
        #expect(Fixture.sent(actions, to: Fixture.identity(0, 0)) == ["finish"])
    }

    @Test func aSenderIsNotToldToExitUntilItsLinkIsAcknowledged() {
        var (sender, _) = Fixture.runningRecord(processes: [1], collector: false)
        sender.addOutbound(Fixture.address(0, 0), producer: Self.link)
        var actions = sender.feedComplete(batches: 1)
        actions += sender.workerFinished(Fixture.address(0, 0), Fixture.counters(in: 1, out: 0))
        #expect(
            !Fixture.sent(actions, to: Fixture.identity(0, 0)).contains("exit"),
            "its batches to the receiver may be queued")
        actions = sender.outboundAcknowledged(Fixture.address(0, 0), producer: Self.link)
        #expect(Fixture.sent(actions, to: Fixture.identity(0, 0)) == ["exit"])
    }

    @Test func aFailedLinkedPipelineFailsThisOneWithItsReason() {
        var (receiver, _) = Fixture.runningRecord(processes: [1])
        let failure = FailureReport(pipeline: "sender", reason: "boom")
        let actions = receiver.linkedPipelineFailed("sender", because: failure)
        #expect(Fixture.sent(actions, to: Fixture.identity(0, 0)) == ["abort"])
        #expect(receiver.failure?.code == .linkedPipelineFailed)
        #expect(
            receiver.failure?.reason.contains("sender, linked to this pipeline by Pipeline.send, failed (boom)") == true
        )
    }

    @Test func aFirstStageWorkerLostWhileAnotherProgramSendsFailsThePipelineInsteadOfReplaying() {
        var (receiver, _) = Fixture.runningRecord(processes: [2])
        receiver.addInbound(producer: SendLink.firstCountedProducer)
        let actions = receiver.exited(stage: 0, worker: 1, status: .signaled(9))
        #expect(
            Fixture.sent(actions, to: Fixture.identity(0, 0)) == ["abort"], "a counted link's sender keeps no batches")
        #expect(receiver.failure?.code == .workerDied)
        #expect(receiver.failure?.reason.contains("keeps no copies") == true, "\(receiver.failure?.reason ?? "")")
    }

    @Test func aFirstStageWorkerLostWhileWorkersSendIsReplacedAndTheirLinksCountWhatIsAcknowledged() {
        var (receiver, _) = Fixture.runningRecord(processes: [2])
        receiver.addInbound(producer: Self.link)
        _ = receiver.linkBatchesDone(producer: Self.link, worker: 1, upTo: 4)
        let actions = receiver.exited(stage: 0, worker: 1, status: .signaled(9))
        #expect(receiver.failure == nil)
        #expect(Fixture.sent(actions, to: Fixture.driver) == ["consumerLost"])
        _ = receiver.linkBatchesDone(producer: Self.link, worker: 0, upTo: 3)
        #expect(receiver.received(throughLink: Self.link) == 7, "the lost worker's 4 done batches still count")
        _ = receiver.feedComplete(batches: 0)
        let finished = receiver.inboundFinished(producer: Self.link, batches: 7)
        #expect(Fixture.sent(finished, to: Fixture.identity(0, 0)) == ["finish"])
    }
}
