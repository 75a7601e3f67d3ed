import CLibZMQ

/// One ZeroMQ message frame, received without copying its payload.
///
/// `zmq_msg_t` keeps small payloads inline and reference-counts large ones, so it must never
/// be copied by value: a `Message` keeps it at a stable heap address for its whole life.
/// Reuse one `Message` for many receives; each receive releases the previous payload.
///
/// ```swift
/// let message = Message()
/// try socket.receive(into: message)
/// let size = message.withUnsafeBytes { $0.count }
/// ```
public final class Message {
    let pointer: UnsafeMutablePointer<zmq_msg_t>

    /// Creates an empty message, ready to receive into.
    public init() {
        pointer = .allocate(capacity: 1)
        zmq_msg_init(pointer)
    }

    deinit {
        zmq_msg_close(pointer)
        pointer.deallocate()
    }

    /// The payload's size in bytes.
    public var count: Int { zmq_msg_size(pointer) }

    /// Whether another frame of the same multipart message follows this one.
    public var hasMore: Bool { zmq_msg_more(pointer) == 1 }

    /// Calls `body` with the payload; the buffer is valid only inside `body`.
    ///
    /// Inlinable so callers get it specialised: it runs once per message received, and an
    /// unspecialised generic call looks up its result type's metadata every time.
    @inlinable
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try body(payload)
    }

    /// The payload in place (libzmq's own buffer): valid until the message is reused or freed.
    @usableFromInline
    var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: zmq_msg_data(pointer), count: zmq_msg_size(pointer))
    }

    /// A copy of the payload.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The sending peer as libzmq saw it (`Peer-Address`): its IP for `tcp://`, and for
    /// `ipc://` the peer process as `localhost:UID:GID:PID`; nil when the transport knows none.
    public var peerAddress: String? {
        guard let value = zmq_msg_gets(pointer, "Peer-Address") else { return nil }
        let text = String(cString: value)
        return text.isEmpty ? nil : text
    }
}
