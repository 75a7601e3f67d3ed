import Testing

@testable import MPETL

/// When a worker may acknowledge an input batch: processed, and every output batch holding
/// its items acknowledged downstream; always as a prefix, per producer.
@Suite("Input ledger")
struct InputLedgerTests {
    func admitted(_ admission: InputLedger.Admission) -> Int {
        guard case .admitted(let input) = admission else {
            Issue.record("expected admission, got \(admission)")
            return -1
        }
        return input
    }

    @Test func anInputIsDoneOnlyOnceItsOutputsAreAcknowledged() {
        var ledger = InputLedger()
        let first = admitted(ledger.admit(producer: 0, sequence: 1))
        ledger.sent(first...first)
        ledger.processed(first)
        ledger.settle(pendingFrom: nil)
        #expect(ledger.done[0] == nil, "its output is not acknowledged yet")
        let second = admitted(ledger.admit(producer: 1, sequence: 1))
        ledger.processed(second)
        ledger.settle(pendingFrom: nil)
        #expect(ledger.done[1] == nil, "done inputs are a prefix: the first one holds it back")
        ledger.acknowledged(first...first)
        ledger.settle(pendingFrom: nil)
        #expect(ledger.done[0] == 1 && ledger.done[1] == 1)
        #expect(ledger.hasNews)
        ledger.markReported()
        #expect(!ledger.hasNews)
    }

    @Test func inputsWithItemsInThePartialOutputBatchAreNotDone() {
        var ledger = InputLedger()
        let input = admitted(ledger.admit(producer: 0, sequence: 1))
        ledger.processed(input)
        ledger.settle(pendingFrom: input)
        #expect(ledger.done[0] == nil)
        // The partial batch leaves holding this input's items, and is acknowledged.
        ledger.sent(input...input)
        ledger.settle(pendingFrom: nil)
        #expect(ledger.done[0] == nil)
        ledger.acknowledged(input...input)
        ledger.settle(pendingFrom: nil)
        #expect(ledger.done[0] == 1)
    }

    @Test func anOutputBatchSpanningInputsHoldsThemAll() {
        var ledger = InputLedger()
        let inputs = (1...3).map { admitted(ledger.admit(producer: 0, sequence: UInt64($0))) }
        for input in inputs {
            ledger.processed(input)
            ledger.settle(pendingFrom: inputs[0])
        }
        ledger.sent(inputs[0]...inputs[2])
        ledger.settle(pendingFrom: nil)
        #expect(ledger.done[0] == nil)
        ledger.acknowledged(inputs[0]...inputs[2])
        ledger.settle(pendingFrom: nil)
        #expect(ledger.done[0] == 3)
    }

    @Test func sequenceNumbersMustFollowOnAConnectionAndRiseOnACountedLink() {
        var ledger = InputLedger()
        _ = admitted(ledger.admit(producer: 2, sequence: 1))
        #expect(ledger.admit(producer: 2, sequence: 1) == .repeated(expected: 2))
        #expect(ledger.admit(producer: 2, sequence: 4) == .gap(expected: 2))
        #expect(ledger.admit(producer: 7, sequence: 0) == .repeated(expected: 1), "numbers start at 1")
        let acknowledgedLink = SendLink.firstProducer
        #expect(
            ledger.admit(producer: acknowledgedLink, sequence: 3) == .gap(expected: 1),
            "a worker's link has a connection per receiver")
        let link = SendLink.firstCountedProducer
        _ = admitted(ledger.admit(producer: link, sequence: 3))
        _ = admitted(ledger.admit(producer: link, sequence: 8))
        #expect(ledger.admit(producer: link, sequence: 5) == .repeated(expected: 9))
    }

    @Test func countedLinkBatchesAreCountedNotAcknowledged() {
        var ledger = InputLedger()
        let link = SendLink.firstCountedProducer + 4
        for sequence in [2, 5] as [UInt64] {
            let input = admitted(ledger.admit(producer: link, sequence: sequence))
            ledger.processed(input)
            ledger.settle(pendingFrom: nil)
        }
        #expect(ledger.doneThroughLinks[link] == 2)
        #expect(ledger.done[link] == nil)
    }
}
