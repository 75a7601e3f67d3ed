import Foundation
import Testing

@testable import ZeroMQ

@Suite("ZeroMQ sockets")
struct SocketTests {
    let context: Context
    init() throws { context = try Context() }

    /// An endpoint in the abstract socket namespace: nothing is left in /tmp after the test.
    func temporaryEndpoint(_ name: String) -> String {
        "ipc://@zmq-test-\(getpid())-\(name)-\(UUID().uuidString.prefix(8))"
    }

    @Test func pushPullRoundTripOverIPC() throws {
        let endpoint = temporaryEndpoint("roundtrip")
        let pull = try Socket(context, type: .pull)
        try pull.bind(endpoint)
        let push = try Socket(context, type: .push)
        try push.connect([endpoint], waitingUpTo: 5_000)
        for index in 0..<1_000 { try push.send(Array("item \(index)".utf8)) }
        let message = Message()
        for index in 0..<1_000 {
            try pull.receive(into: message)
            #expect(String(decoding: message.bytes, as: UTF8.self) == "item \(index)")
        }
    }

    @Test func aReceivedMessageKnowsItsPeer() throws {
        let tcp = try Socket(context, type: .pull)
        try tcp.bind("tcp://127.0.0.1:*")
        let ipcEndpoint = temporaryEndpoint("peer")
        let ipc = try Socket(context, type: .pull)
        try ipc.bind(ipcEndpoint)
        let push = try Socket(context, type: .push)
        try push.connect(try tcp.lastEndpoint())
        try push.send([1])
        let message = Message()
        try tcp.receive(into: message)
        #expect(message.peerAddress == "127.0.0.1")
        let local = try Socket(context, type: .push)
        try local.connect(ipcEndpoint)
        try local.send([2])
        try ipc.receive(into: message)
        #expect(
            message.peerAddress?.hasSuffix(":\(getpid())") == true,
            "the ipc peer is this process: \(message.peerAddress ?? "nil")")
    }

    @Test func largeFramesArriveWhole() throws {
        let endpoint = temporaryEndpoint("large")
        let pull = try Socket(context, type: .pull)
        try pull.bind(endpoint)
        let push = try Socket(context, type: .push)
        try push.connect([endpoint], waitingUpTo: 5_000)
        let payload = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try push.send(payload)
        let message = Message()
        try pull.receive(into: message)
        #expect(message.count == payload.count)
        #expect(message.bytes == payload)
    }

    @Test func multipartKeepsFramesTogetherThroughRouter() throws {
        let endpoint = temporaryEndpoint("router")
        let router = try Socket(context, type: .router)
        try router.bind(endpoint)
        let dealer = try Socket(context, type: .dealer)
        try dealer.setRoutingID(Array("worker-7".utf8))
        try dealer.connect([endpoint], waitingUpTo: 5_000)
        try dealer.send(multipart: [Array("a".utf8), [], Array("ccc".utf8)])
        let frames = try router.receiveMultipart()
        #expect(frames == [Array("worker-7".utf8), Array("a".utf8), [], Array("ccc".utf8)])
        try router.send(multipart: [Array("worker-7".utf8), Array("reply".utf8)])
        #expect(try dealer.receiveMultipart() == [Array("reply".utf8)])
    }

    @Test func nonBlockingReceiveReportsNothingWaiting() throws {
        let pull = try Socket(context, type: .pull)
        try pull.bind(temporaryEndpoint("empty"))
        #expect(try pull.tryReceive(into: Message()) == false)
        let caught = zmqError { try pull.receive(into: Message(), flags: .dontWait) }
        #expect(caught?.code == .wouldBlock)
    }

    @Test func pushWithoutPeersCannotSendWithoutBlocking() throws {
        let push = try Socket(context, type: .push)
        #expect(try push.trySend(UnsafeRawBufferPointer(start: nil, count: 0)) == false)
    }

    @Test func errorsCarryErrnoTextAndFunction() throws {
        let socket = try Socket(context, type: .pull)
        let caught = zmqError { try socket.bind("nonsense://x") }
        let error = try #require(caught)
        #expect(error.code == .protocolNotSupported)
        #expect(error.function == "zmq_bind")
        #expect(error.description.contains("nonsense://x"))
        #expect(error.description.contains("errno \(EPROTONOSUPPORT)"))
        #expect(!error.message.isEmpty)
    }

    @Test func bindingTheSameEndpointTwiceIsAddressInUse() throws {
        let endpoint = "tcp://127.0.0.1:0"
        let first = try Socket(context, type: .pull)
        try first.bind(endpoint)
        let resolved = try first.lastEndpoint()
        #expect(resolved.tcpHost == "127.0.0.1" && (resolved.tcpPort ?? 0) > 0, "\(resolved)")
        let second = try Socket(context, type: .pull)
        let caught = zmqError { try second.bind(resolved) }
        #expect(caught == ZMQError(code: .addressInUse, function: "zmq_bind", detail: resolved.description))
    }

    @Test func connectingToNobodyTimesOutNamingTheEndpoint() throws {
        let push = try Socket(context, type: .push)
        let endpoint = temporaryEndpoint("absent")
        let caught = zmqError { try push.connect([endpoint], waitingUpTo: 200) }
        let error = try #require(caught)
        #expect(error.code == .timedOut)
        #expect(error.detail.contains(endpoint))
    }

    @Test func pollerWakesForReadableSocketAndTimesOutOtherwise() throws {
        let endpoint = temporaryEndpoint("poll")
        let pull = try Socket(context, type: .pull)
        try pull.bind(endpoint)
        let poller = Poller()
        let item = poller.add(pull, events: .readable)
        #expect(try poller.poll(timeoutMilliseconds: 10) == 0)
        let push = try Socket(context, type: .push)
        try push.connect([endpoint], waitingUpTo: 5_000)
        try push.send([1, 2, 3])
        #expect(try poller.poll(timeoutMilliseconds: 5_000) == 1)
        #expect(poller.isReadable(item))
    }

    @Test func pollerWatchesPlainFileDescriptors() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer {
            close(fds[0])
            close(fds[1])
        }
        let poller = Poller()
        let item = poller.add(fileDescriptor: fds[0], events: .readable)
        #expect(try poller.poll(timeoutMilliseconds: 0) == 0)
        #expect(write(fds[1], "x", 1) == 1)
        #expect(try poller.poll(timeoutMilliseconds: 5_000) == 1)
        #expect(poller.isReadable(item))
    }

    @Test func libraryHasIPCAndCurve() {
        #expect(Context.has("ipc"))
        #expect(Context.libraryVersion.major == 4)
    }
}
