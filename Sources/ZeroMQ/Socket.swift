import CLibZMQ

/// A ZeroMQ socket.
///
/// A socket belongs to one thread at a time: it is deliberately not `Sendable`. Create it on
/// the thread that uses it. It keeps its ``Context`` alive and closes itself on deinit.
///
/// ```swift
/// let push = try Socket(context, type: .push)
/// try push.connect("ipc:///tmp/example.sock")
/// try push.send(Array("hello".utf8))
/// ```
public final class Socket {
    let handle: UnsafeMutableRawPointer
    /// The context this socket was created in.
    public let context: Context
    /// The socket's pattern.
    public let type: SocketType

    /// Creates a socket of the given type.
    /// - Throws: ``ZMQError`` when the context is terminated or out of sockets.
    public init(_ context: Context, type: SocketType) throws(ZMQError) {
        self.context = context
        self.type = type
        handle = try checkedHandle("zmq_socket") { zmq_socket(context.handle, type.rawValue) }
    }

    deinit {
        zmq_close(handle)
    }

    /// Binds to a local endpoint such as `ipc:///run/x.sock` or `tcp://127.0.0.1:0`.
    /// - Throws: ``ZMQError`` naming the endpoint, e.g. ``ZMQError/Code/addressInUse``.
    public func bind(_ endpoint: String) throws(ZMQError) {
        _ = try checked("zmq_bind", endpoint) { zmq_bind(handle, endpoint) }
    }

    /// Connects to a remote endpoint; the connection itself completes in the background.
    /// - Throws: ``ZMQError`` when the endpoint is malformed or its transport unknown.
    public func connect(_ endpoint: String) throws(ZMQError) {
        _ = try checked("zmq_connect", endpoint) { zmq_connect(handle, endpoint) }
    }

    /// Drops the connection to an endpoint made with ``connect(_:)``.
    public func disconnect(_ endpoint: String) throws(ZMQError) {
        _ = try checked("zmq_disconnect", endpoint) { zmq_disconnect(handle, endpoint) }
    }

    /// Binds to `endpoint`; as ``bind(_:)-(String)``.
    public func bind(_ endpoint: Endpoint) throws(ZMQError) { try bind(endpoint.description) }

    /// Connects to `endpoint`; as ``connect(_:)-(String)``.
    public func connect(_ endpoint: Endpoint) throws(ZMQError) { try connect(endpoint.description) }

    /// Drops the connection to `endpoint`; as ``disconnect(_:)-(String)``.
    public func disconnect(_ endpoint: Endpoint) throws(ZMQError) { try disconnect(endpoint.description) }

    /// Sends one frame, copying `bytes`.
    /// - Parameters:
    ///   - bytes: the payload.
    ///   - flags: ``SendFlags/dontWait`` to fail with ``ZMQError/Code/wouldBlock`` instead of
    ///     blocking; ``SendFlags/more`` when another frame of the same message follows.
    public func send(_ bytes: UnsafeRawBufferPointer, flags: SendFlags = []) throws(ZMQError) {
        _ = try checked("zmq_send") { zmq_send(handle, bytes.baseAddress, bytes.count, flags.rawValue) }
    }

    /// Sends one frame, copying `bytes`.
    public func send(_ bytes: [UInt8], flags: SendFlags = []) throws(ZMQError) {
        _ = try checked("zmq_send") {
            bytes.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags.rawValue) }
        }
    }

    /// Sends one frame without blocking.
    /// - Returns: `false` when the message could not be queued now (every peer is full, or
    ///   there is none); the caller keeps the payload and may poll for ``PollEvents/writable``.
    public func trySend(_ bytes: UnsafeRawBufferPointer, flags: SendFlags = []) throws(ZMQError) -> Bool {
        // EAGAIN is the common answer on a busy path: told apart from errors without building one.
        while true {
            if zmq_send(handle, bytes.baseAddress, bytes.count, flags.union(.dontWait).rawValue) != -1 { return true }
            let code = zmq_errno()
            if code == EAGAIN { return false }
            if code == EINTR { continue }
            throw ZMQError(code: .init(rawValue: code), function: "zmq_send")
        }
    }

    /// Sends a multipart message: every frame but the last carries the "more" flag.
    public func send(multipart frames: [[UInt8]]) throws(ZMQError) {
        for (index, frame) in frames.enumerated() {
            try send(frame, flags: index == frames.count - 1 ? [] : .more)
        }
    }

    /// Receives one frame into `message`, blocking until one arrives (or the receive timeout).
    public func receive(into message: Message, flags: ReceiveFlags = []) throws(ZMQError) {
        _ = try checked("zmq_msg_recv") { zmq_msg_recv(message.pointer, handle, flags.rawValue) }
    }

    /// Receives one frame into `message` without blocking.
    /// - Returns: `false` when no frame is waiting.
    public func tryReceive(into message: Message) throws(ZMQError) -> Bool {
        while true {
            if zmq_msg_recv(message.pointer, handle, ReceiveFlags.dontWait.rawValue) != -1 { return true }
            let code = zmq_errno()
            if code == EAGAIN { return false }
            if code == EINTR { continue }
            throw ZMQError(code: .init(rawValue: code), function: "zmq_msg_recv")
        }
    }

    /// Receives every frame of one multipart message.
    public func receiveMultipart(flags: ReceiveFlags = []) throws(ZMQError) -> [[UInt8]] {
        let message = Message()
        var frames: [[UInt8]] = []
        repeat {
            try receive(into: message, flags: frames.isEmpty ? flags : [])
            // "more" is read before the next receive releases this frame.
            frames.append(message.bytes)
        } while message.hasMore
        return frames
    }
}

/// Flags for ``Socket/send(_:flags:)-(UnsafeRawBufferPointer,_)``.
public struct SendFlags: OptionSet, Sendable {
    /// libzmq's flag bits.
    public let rawValue: Int32
    /// Flags from libzmq's bits.
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// Fail with ``ZMQError/Code/wouldBlock`` instead of blocking.
    public static let dontWait = SendFlags(rawValue: ZMQ_DONTWAIT)
    /// Another frame of the same message follows.
    public static let more = SendFlags(rawValue: ZMQ_SNDMORE)
}

/// Flags for ``Socket/receive(into:flags:)``.
public struct ReceiveFlags: OptionSet, Sendable {
    /// libzmq's flag bits.
    public let rawValue: Int32
    /// Flags from libzmq's bits.
    public init(rawValue: Int32) { self.rawValue = rawValue }
    /// Fail with ``ZMQError/Code/wouldBlock`` instead of blocking.
    public static let dontWait = ReceiveFlags(rawValue: ZMQ_DONTWAIT)
}
