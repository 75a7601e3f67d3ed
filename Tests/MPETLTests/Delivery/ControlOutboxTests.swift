import Testing
import ZeroMQ

@testable import MPETL

/// A loop's control messages never block it: a DEALER with no connected peer would block a
/// send for ever (a coordinator with another CURVE key looks exactly like that).
@Suite("Control outbox")
struct ControlOutboxTests {
    @Test func withNoPeerASendReturnsAtOnceAndTheMessagesLeaveInOrderOnceOneConnects() throws {
        let context = try Context()
        let dealer = try Socket(context, type: .dealer)
        try dealer.setLinger(milliseconds: 0)
        var outbox = ControlOutbox()
        // No connection at all: a blocking send here would never return.
        for number in 1...3 { try outbox.send([UInt8(number)], through: dealer) }
        #expect(outbox.wantsRoom)

        let router = try Socket(context, type: .router)
        try router.setLinger(milliseconds: 0)
        try router.bind(.tcp(host: "127.0.0.1", port: nil))
        try dealer.connect(try router.lastEndpoint())
        #expect(
            waitUntil(timeout: .seconds(10)) {
                (try? outbox.flush(through: dealer)) != nil && !outbox.wantsRoom
            }, "the waiting messages left once the connection was up")
        try outbox.send([4], through: dealer)
        var received: [UInt8] = []
        try router.setReceiveTimeout(milliseconds: 5_000)
        for _ in 1...4 {
            let frames = try router.receiveMultipart()
            received.append(frames.last?.first ?? 0)
        }
        #expect(received == [1, 2, 3, 4])
    }

    @Test func discardingDropsWhatWaits() throws {
        let context = try Context()
        let dealer = try Socket(context, type: .dealer)
        try dealer.setLinger(milliseconds: 0)
        var outbox = ControlOutbox()
        try outbox.send([1], through: dealer)
        outbox.discard()
        #expect(!outbox.wantsRoom)
    }
}
