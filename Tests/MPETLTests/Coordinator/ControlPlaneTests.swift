import Foundation
import MessagePack
import Testing
import ZeroMQ

@testable import MPETL

/// The coordinator's ROUTER never drops what it sends a peer, however long the peer does not
/// read: a worker busy in a long body call must still get its `consumerLost` and `finish`.
@Suite("Control plane")
struct ControlPlaneTests {
    @Test func aPeerThatDoesNotReadForAWhileStillGetsEveryMessage() throws {
        let context = try Context()
        let endpoint: Endpoint = "ipc://@mpetl-control-\(getpid())"
        let coordinator = try Coordinator(context: context, endpoints: [endpoint], hostTimeout: .seconds(30))
        defer { coordinator.stop() }
        let peer = try Socket(context, type: .dealer)
        try peer.setLinger(milliseconds: 0)
        try peer.connect(endpoint)
        // Far more than libzmq queues for one peer by default (1,000 messages at each end, and
        // what the kernel buffers), unread.
        let requests = 60_000
        let request = try MessagePackEncoder().encode(ControlMessage.heartbeat)
        for _ in 0..<requests { try peer.send(request) }
        let poller = Poller()
        let item = poller.add(peer, events: .readable)
        let message = Message()
        var answers = 0
        // Each heartbeat is answered; wait for them all, or for a second of silence.
        while answers < requests, try poller.poll(timeoutMilliseconds: 1_000) > 0, poller.isReadable(item) {
            while try peer.tryReceive(into: message) { answers += 1 }
        }
        #expect(answers == requests)
    }
}
