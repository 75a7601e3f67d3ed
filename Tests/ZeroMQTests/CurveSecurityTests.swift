import Foundation
import Testing

@testable import ZeroMQ

@Suite("CURVE security", .enabled(if: CurveKeyPair.isCurveAvailable, "libzmq was built without CURVE"))
struct CurveSecurityTests {
    let context: Context
    init() throws { context = try Context() }

    /// A CURVE PULL server on loopback TCP, behind an authenticator of its context.
    struct Server {
        let keys: CurveKeyPair
        let authenticator: ZAPAuthenticator
        let pull: Socket
        let endpoint: String
    }

    func startServer(allowing allowed: [CurveKeyPair]) throws -> Server {
        let keys = try CurveKeyPair.generate()
        // Bound before the server, so that no handshake can happen without it.
        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: Set(allowed.map(\.publicKey)))
        let pull = try Socket(context, type: .pull)
        try pull.setCurveServer(secretKey: keys.secretKey)
        try pull.bind("tcp://127.0.0.1:*")
        return Server(
            keys: keys, authenticator: authenticator, pull: pull, endpoint: try pull.lastEndpoint().description)
    }

    /// A PUSH connected to `endpoint`: a CURVE client when `curve` is given, plain otherwise.
    func client(of endpoint: String, curve: (serverPublicKey: String, keys: CurveKeyPair)?) throws -> Socket {
        let push = try Socket(context, type: .push)
        // A rejected client keeps its message queued forever; without linger 0 the
        // context would wait for it when the test ends.
        try push.setLinger(milliseconds: 0)
        if let curve { try push.setCurveClient(serverPublicKey: curve.serverPublicKey, keyPair: curve.keys) }
        try push.connect(endpoint)
        return push
    }

    /// The next message `socket` receives within `milliseconds`, or nil.
    func receiveText(_ socket: Socket, within milliseconds: Int) throws -> String? {
        let poller = Poller()
        let item = poller.add(socket, events: .readable)
        guard try poller.poll(timeoutMilliseconds: milliseconds) > 0, poller.isReadable(item) else { return nil }
        let message = Message()
        guard try socket.tryReceive(into: message) else { return nil }
        return String(decoding: message.bytes, as: UTF8.self)
    }

    /// Proves the server and its authenticator work before a test checks that something is
    /// *not* delivered: a client with an allowed key gets a message through.
    func expectAllowedClientDelivers(to server: Server, keys: CurveKeyPair) throws -> Socket {
        let good = try client(of: server.endpoint, curve: (server.keys.publicKey, keys))
        try good.send(Array("hello from an allowed client".utf8))
        #expect(try receiveText(server.pull, within: 2_000) == "hello from an allowed client")
        return good
    }

    // MARK: - Keys

    /// The client pair from libzmq's zmq_curve(7) manual page, as a known answer.
    static let documented = (
        publicKey: "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", secretKey: "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
    )

    @Test func publicKeyIsDerivedFromTheSecretKey() throws {
        #expect(try CurveKeyPair.publicKey(fromSecret: Self.documented.secretKey) == Self.documented.publicKey)
        let keys = try CurveKeyPair(publicKey: Self.documented.publicKey, secretKey: Self.documented.secretKey)
        #expect(CurveKeyPair.encodeZ85(try #require(CurveKeyPair.decodeZ85(keys.publicKey))) == keys.publicKey)
    }

    @Test func generatedKeyPairsAreValidAndDistinct() throws {
        let first = try CurveKeyPair.generate()
        let second = try CurveKeyPair.generate()
        #expect(first != second)
        for keys in [first, second] {
            #expect(keys.publicKey.utf8.count == 40)
            #expect(keys.secretKey.utf8.count == 40)
            #expect(CurveKeyPair.decodeZ85(keys.publicKey)?.count == 32)
            #expect(try CurveKeyPair.publicKey(fromSecret: keys.secretKey) == keys.publicKey)
            #expect(try CurveKeyPair(publicKey: keys.publicKey, secretKey: keys.secretKey) == keys)
        }
    }

    @Test func malformedKeysAreRejectedWithoutShowingThem() throws {
        let keys = try CurveKeyPair.generate()
        let notZ85 = String(repeating: "~", count: 40)

        let short = zmqError { _ = try CurveKeyPair(publicKey: "abc", secretKey: keys.secretKey) }
        #expect(short?.code == .invalidArgument)
        #expect(short?.detail == "public key: expected 40 Z85 characters, got 3")

        let badSecret = zmqError { _ = try CurveKeyPair(publicKey: keys.publicKey, secretKey: notZ85) }
        #expect(badSecret?.detail == "secret key: not valid Z85 text")

        let derived = zmqError { _ = try CurveKeyPair.publicKey(fromSecret: notZ85) }
        #expect(derived?.code == .invalidArgument)

        let socket = try Socket(context, type: .pull)
        let server = zmqError { try socket.setCurveServer(secretKey: String(keys.secretKey.dropLast())) }
        #expect(server?.code == .invalidArgument)
        #expect(server?.detail.contains("ZMQ_CURVE_SECRETKEY") == true)
        #expect(server?.description.contains(keys.secretKey.dropLast()) == false)

        let client = zmqError { try socket.setCurveClient(serverPublicKey: notZ85, keyPair: keys) }
        #expect(client?.detail.contains("ZMQ_CURVE_SERVERKEY") == true)
    }

    @Test func descriptionsRedactTheSecretKey() throws {
        let keys = try CurveKeyPair.generate()
        var dumped = ""
        dump(keys, to: &dumped)
        for text in ["\(keys)", String(reflecting: keys), dumped] {
            #expect(text.contains(keys.publicKey))
            #expect(!text.contains(keys.secretKey))
        }
    }

    // MARK: - Authentication

    @Test func allowedClientDeliversThroughTheAuthenticator() throws {
        let clientKeys = try CurveKeyPair.generate()
        let server = try startServer(allowing: [clientKeys])
        _ = try expectAllowedClientDelivers(to: server, keys: clientKeys)
        // libzmq asked the authenticator rather than letting the client in unchecked.
        #expect(server.authenticator.allowedCount >= 1)
        #expect(server.authenticator.deniedCount == 0)
        #expect(server.authenticator.failure == nil)
        server.authenticator.stop()
    }

    @Test func clientWithWrongServerKeyDeliversNothing() throws {
        let clientKeys = try CurveKeyPair.generate()
        let server = try startServer(allowing: [clientKeys])
        _ = try expectAllowedClientDelivers(to: server, keys: clientKeys)

        let impostor = try CurveKeyPair.generate()
        let bad = try client(of: server.endpoint, curve: (impostor.publicKey, clientKeys))
        try bad.send(Array("to the wrong server key".utf8))
        #expect(try receiveText(server.pull, within: 500) == nil)
        // The server could not open the client's HELLO, so the handshake never reached ZAP.
        #expect(server.authenticator.deniedCount == 0)
        server.authenticator.stop()
    }

    @Test func disallowedClientKeyIsDeniedAndDeliversNothing() throws {
        let allowed = try CurveKeyPair.generate()
        let server = try startServer(allowing: [allowed])
        _ = try expectAllowedClientDelivers(to: server, keys: allowed)

        let stranger = try CurveKeyPair.generate()
        let bad = try client(of: server.endpoint, curve: (server.keys.publicKey, stranger))
        try bad.send(Array("from a stranger".utf8))
        // Wait for the denial itself, watching the server all the while.
        let deadline = ContinuousClock.now.advanced(by: .seconds(2))
        while server.authenticator.deniedCount == 0, ContinuousClock.now < deadline {
            #expect(try receiveText(server.pull, within: 10) == nil)
        }
        #expect(server.authenticator.deniedCount >= 1)
        // The client keeps reconnecting and being denied; none of it gets through.
        #expect(try receiveText(server.pull, within: 300) == nil)
        server.authenticator.stop()
    }

    @Test func plainClientDeliversNothingToCurveServer() throws {
        let clientKeys = try CurveKeyPair.generate()
        let server = try startServer(allowing: [clientKeys])
        _ = try expectAllowedClientDelivers(to: server, keys: clientKeys)

        let plain = try client(of: server.endpoint, curve: nil)
        try plain.send(Array("in the clear".utf8))
        #expect(try receiveText(server.pull, within: 500) == nil)
        // NULL against CURVE fails in the handshake, before any ZAP request.
        #expect(server.authenticator.deniedCount == 0)
        server.authenticator.stop()
    }

    @Test func plainSocketsInTheSameContextDoNotConsultTheAuthenticator() throws {
        let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [])
        let pull = try Socket(context, type: .pull)
        try pull.bind("tcp://127.0.0.1:*")
        let push = try client(of: try pull.lastEndpoint().description, curve: nil)
        try push.send(Array("plain".utf8))
        #expect(try receiveText(pull, within: 2_000) == "plain")
        #expect(authenticator.allowedCount == 0 && authenticator.deniedCount == 0)
        authenticator.stop()
    }

    @Test func secondAuthenticatorInOneContextIsAddressInUse() throws {
        let first = try ZAPAuthenticator(context: context, allowedClientKeys: [])
        let caught = zmqError { _ = try ZAPAuthenticator(context: context, allowedClientKeys: []) }
        #expect(caught?.code == .addressInUse)
        #expect(caught?.detail == ZAPAuthenticator.endpoint)
        first.stop()
        first.stop()  // a second stop does nothing
    }

    @Test func authenticatorRejectsMalformedAllowedKeys() throws {
        let caught = zmqError { _ = try ZAPAuthenticator(context: context, allowedClientKeys: ["not-a-key"]) }
        #expect(caught?.code == .invalidArgument)
        #expect(caught?.detail.contains("\"not-a-key\"") == true)
    }

    @Test func zapRepliesFollowRFC27() throws {
        let keys = try CurveKeyPair.generate()
        let rawKey = try #require(CurveKeyPair.decodeZ85(keys.publicKey))
        func request(_ mechanism: String, _ credentials: [[UInt8]], version: String = "1.0") -> [[UInt8]] {
            [
                Array(version.utf8), Array("7".utf8), Array("mpetl".utf8), Array("127.0.0.1".utf8), [],
                Array(mechanism.utf8),
            ]
                + credentials
        }
        func status(_ reply: [[UInt8]]) -> String { String(decoding: reply[2], as: UTF8.self) }

        let allowed = ZAPAuthenticator.reply(to: request("CURVE", [rawKey]), allowing: [keys.publicKey])
        #expect(allowed.allowed)
        #expect(
            allowed.frames == [
                Array("1.0".utf8), Array("7".utf8), Array("200".utf8), Array("OK".utf8), Array(keys.publicKey.utf8), [],
            ])

        let everyone: Set<String> = [keys.publicKey]
        let denied: [(request: [[UInt8]], allowing: Set<String>)] = [
            (request("CURVE", [rawKey]), []),
            (request("NULL", []), everyone),
            (request("PLAIN", [Array("admin".utf8), Array("secret".utf8)]), everyone),
            (request("CURVE", [Array(rawKey.prefix(31))]), everyone),
            (request("CURVE", [rawKey], version: "2.0"), everyone),
            ([Array("1.0".utf8)], everyone),
        ]
        for (item, allowing) in denied {
            let reply = ZAPAuthenticator.reply(to: item, allowing: allowing)
            #expect(!reply.allowed)
            #expect(reply.frames.count == 6)
            #expect(reply.frames[0] == Array("1.0".utf8))
            #expect(reply.frames[1] == (item.count > 1 ? item[1] : []))
            #expect(status(reply.frames) == "400")
            #expect(reply.frames[4].isEmpty && reply.frames[5].isEmpty)
        }
    }

    // MARK: - Heartbeats

    @Test func heartbeatOptionsAreRangeChecked() throws {
        let socket = try Socket(context, type: .dealer)
        try socket.setHeartbeat(intervalMilliseconds: 1_000, timeoutMilliseconds: 3_000, ttlMilliseconds: 10_000)
        try socket.setHeartbeat(intervalMilliseconds: 0)
        let ttl = zmqError { try socket.setHeartbeat(intervalMilliseconds: 1_000, ttlMilliseconds: 7_000_000) }
        #expect(ttl == ZMQError(code: .invalidArgument, function: "zmq_setsockopt", detail: "ZMQ_HEARTBEAT_TTL"))
        let interval = zmqError { try socket.setHeartbeat(intervalMilliseconds: -1) }
        #expect(interval?.detail == "ZMQ_HEARTBEAT_IVL")
    }
}
