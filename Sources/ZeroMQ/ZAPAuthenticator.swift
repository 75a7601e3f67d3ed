import CLibZMQ
import Foundation
import Synchronization

private let controlSerial = Atomic<Int>(0)

extension SocketType {
    /// Answers each request in turn; libzmq's ZAP client talks to one.
    static let rep = SocketType(rawValue: ZMQ_REP)
}

/// Decides which CURVE clients may connect to the CURVE servers of one ``Context``, by their
/// public keys, answering libzmq's ZAP requests (RFC 27) on its own thread.
///
/// libzmq asks whatever is bound to `inproc://zeromq.zap.01` in a server socket's context
/// about every client whose CURVE handshake proves it holds its key. When nothing is bound there it lets
/// every client in, so the authenticator must be running before any client can connect, and
/// for as long as the servers run: after ``stop()`` (or ``failure``), they accept any client
/// that knows their public key.
///
/// It allows the mechanism `CURVE` with an allowed client key and denies everything else with
/// status 400. Sockets using no security and no ZAP domain (plain ``Socket``s) never consult
/// it, so they keep working in the same context.
///
/// ```swift
/// let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [worker.publicKey])
/// let pull = try Socket(context, type: .pull)
/// try pull.setCurveServer(secretKey: serverKeys.secretKey)
/// try pull.bind("tcp://0.0.0.0:5555")
/// // ...
/// if authenticator.deniedCount > 0 { print("\(authenticator.deniedCount) handshakes denied") }
/// ```
public final class ZAPAuthenticator: Sendable {
    /// Where libzmq sends ZAP requests, in each context (RFC 27).
    public static let endpoint = "inproc://zeromq.zap.01"

    /// The Z85 public keys of the clients that may connect.
    public let allowedClientKeys: Set<String>

    private let context: Context
    private let controlEndpoint: String
    private let tally: Tally
    private let finished: OneShot<Void, Never>
    private let stopped = Atomic<Bool>(false)

    /// Binds the ZAP endpoint of `context` and starts answering on a new thread.
    ///
    /// When this returns, the handler is bound: CURVE servers may bind from now on.
    ///
    /// ```swift
    /// let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: Set(workerKeys))
    /// ```
    /// - Parameters:
    ///   - context: the context whose CURVE servers this authenticates.
    ///   - allowedClientKeys: Z85 public keys, 40 characters each.
    /// - Throws: ``ZMQError`` with ``ZMQError/Code/invalidArgument`` naming a malformed key, or
    ///   ``ZMQError/Code/addressInUse`` when another handler is already bound in this context.
    public init(context: Context, allowedClientKeys: Set<String>) throws(ZMQError) {
        for key in allowedClientKeys.sorted() {
            // Public keys may be named in errors; they identify the typo.
            try CurveKeyPair.validate(key, named: "allowed client key \"\(key)\"")
        }
        self.context = context
        self.allowedClientKeys = allowedClientKeys
        controlEndpoint = "inproc://mpetl-zap-control-\(controlSerial.add(1, ordering: .relaxed).newValue)"
        tally = Tally()
        finished = OneShot()

        let started = OneShot<Void, ZMQError>()
        let handler = ZAPHandler(
            context: context, allowedClientKeys: allowedClientKeys,
            controlEndpoint: controlEndpoint, tally: tally)
        let finished = self.finished
        // The thread creates its own sockets: a Socket belongs to the thread that uses it.
        let thread = Thread {
            handler.run(started: started)
            // `run` has returned, so its sockets are closed.
            finished.succeed()
        }
        thread.name = "mpetl-zap"
        thread.start()
        do {
            try started.wait()
        } catch {
            stopped.store(true, ordering: .releasing)
            throw error
        }
    }

    deinit {
        stop()
    }

    /// How many requests were denied: each failed handshake, a client's automatic reconnects
    /// included. Readable from any thread.
    ///
    /// ```swift
    /// logger.warning("CURVE clients denied: \(authenticator.deniedCount)")
    /// ```
    public var deniedCount: Int { tally.denied.load(ordering: .relaxed) }

    /// How many requests were allowed. Readable from any thread.
    ///
    /// ```swift
    /// assert(authenticator.allowedCount >= connectedWorkers)
    /// ```
    public var allowedCount: Int { tally.allowed.load(ordering: .relaxed) }

    /// The error that ended the handler thread before ``stop()``, if any.
    ///
    /// Once set, nothing answers ZAP requests and the context's CURVE servers accept any
    /// client that knows their public key: treat it as fatal.
    ///
    /// ```swift
    /// if let failure = authenticator.failure { fatalError("ZAP handler died: \(failure)") }
    /// ```
    public var failure: ZMQError? { tally.failure.withLock { $0 } }

    /// Ends the handler thread and waits until it has closed its sockets; later calls do nothing.
    ///
    /// From then on the context's CURVE servers accept any client that knows their public key,
    /// so stop it after them. libzmq unbinds the ZAP endpoint in the background, so a new
    /// authenticator in the same context may briefly fail with ``ZMQError/Code/addressInUse``.
    ///
    /// ```swift
    /// server = nil            // close the CURVE servers first
    /// authenticator.stop()
    /// ```
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        do {
            // A socket of this thread's own: the handler's sockets stay on the handler's thread.
            let control = try Socket(context, type: .pair)
            try control.setLinger(milliseconds: 0)
            try control.connect(controlEndpoint)
            try control.send([])
        } catch {
            // The handler cannot be told (no file descriptors left, say); waiting for it
            // would hang this thread, and a deinit with it, so leave it running.
            return
        }
        finished.wait()
    }

    /// The ZAP 1.0 reply to one request, and whether it allows the client.
    ///
    /// A request is: version `1.0`, request id, domain, address, identity, mechanism, then the
    /// mechanism's credentials; for CURVE, the client's 32-byte public key. The reply is:
    /// version, the request id, status code, status text, user id (the client's Z85 key when
    /// allowed) and empty metadata.
    static func reply(to request: [[UInt8]], allowing allowedClientKeys: Set<String>) -> (
        frames: [[UInt8]], allowed: Bool
    ) {
        let requestID = request.count > 1 ? request[1] : []
        func answer(_ status: String, _ text: String, userID: String = "") -> [[UInt8]] {
            [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(userID.utf8), []]
        }
        guard request.count >= 6, request[0] == Array("1.0".utf8) else {
            return (answer("400", "malformed ZAP request"), false)
        }
        let mechanism = String(decoding: request[5], as: UTF8.self)
        guard mechanism == "CURVE" else {
            return (answer("400", "mechanism \(mechanism) not allowed"), false)
        }
        guard request.count == 7, let clientKey = CurveKeyPair.encodeZ85(request[6]) else {
            return (answer("400", "malformed CURVE credentials"), false)
        }
        guard allowedClientKeys.contains(clientKey) else {
            return (answer("400", "client key not allowed"), false)
        }
        return (answer("200", "OK", userID: clientKey), true)
    }
}

/// Counters and the fatal error, shared by the handler thread and the authenticator's users.
private final class Tally: Sendable {
    let denied = Atomic<Int>(0)
    let allowed = Atomic<Int>(0)
    let failure = Mutex<ZMQError?>(nil)
}

/// What the handler thread runs; it holds only values, and creates its sockets in ``run``.
private struct ZAPHandler: Sendable {
    let context: Context
    let allowedClientKeys: Set<String>
    let controlEndpoint: String
    let tally: Tally

    /// Binds, reports the outcome through `started`, then answers requests until told to stop.
    func run(started: OneShot<Void, ZMQError>) {
        let requests: Socket
        let control: Socket
        do {
            requests = try Socket(context, type: .rep)
            // A reply still queued when stopping is for a handshake that is being torn down.
            try requests.setLinger(milliseconds: 0)
            try requests.bind(ZAPAuthenticator.endpoint)
            control = try Socket(context, type: .pair)
            try control.setLinger(milliseconds: 0)
            try control.bind(controlEndpoint)
        } catch {
            started.fulfill(.failure(error))
            return
        }
        started.succeed()

        let poller = Poller()
        let requestItem = poller.add(requests, events: .readable)
        let controlItem = poller.add(control, events: .readable)
        do {
            while true {
                try poller.poll(timeoutMilliseconds: nil)
                // Any message on the control socket means stop; nothing else is ever sent there.
                if poller.isReadable(controlItem) { return }
                guard poller.isReadable(requestItem) else { continue }
                let request = try requests.receiveMultipart()
                let (reply, allowed) = ZAPAuthenticator.reply(to: request, allowing: allowedClientKeys)
                if allowed {
                    tally.allowed.add(1, ordering: .relaxed)
                } else {
                    tally.denied.add(1, ordering: .relaxed)
                }
                try requests.send(multipart: reply)
            }
        } catch {
            tally.failure.withLock { $0 = error }
        }
    }
}
