import CLibZMQ

/// A failed libzmq call: the errno code, libzmq's text for it, and the function that failed.
///
/// Named codes can be caught one by one:
///
/// ```swift
/// do {
///     try socket.send(bytes, flags: .dontWait)
/// } catch let error as ZMQError where error.code == .wouldBlock {
///     // the peer's queue is full; try again later
/// }
/// ```
public struct ZMQError: Error, Equatable, CustomStringConvertible, Sendable {
    /// An errno-style error code as libzmq reports it.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The errno value.
        public var rawValue: Int32
        /// The code for an errno value.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// The operation would block (`EAGAIN`): a non-blocking call found nothing to do, or a timeout expired.
        public static let wouldBlock = Code(rawValue: EAGAIN)
        /// The context was terminated (`ETERM`).
        public static let contextTerminated = Code(rawValue: ETERM)
        /// A signal interrupted a blocking call (`EINTR`).
        public static let interrupted = Code(rawValue: EINTR)
        /// The endpoint's address is already bound (`EADDRINUSE`).
        public static let addressInUse = Code(rawValue: EADDRINUSE)
        /// The endpoint is malformed (`EINVAL`).
        public static let invalidArgument = Code(rawValue: EINVAL)
        /// The endpoint's transport is not supported (`EPROTONOSUPPORT`).
        public static let protocolNotSupported = Code(rawValue: EPROTONOSUPPORT)
        /// The socket's state does not allow this operation (`EFSM`), e.g. a REQ sending twice.
        public static let invalidState = Code(rawValue: EFSM)
        /// A ROUTER could not route a message to the named peer (`EHOSTUNREACH`).
        public static let hostUnreachable = Code(rawValue: EHOSTUNREACH)

        /// libzmq's text for this code.
        public var description: String { String(cString: zmq_strerror(rawValue)) }
    }

    /// The errno code libzmq reported.
    public var code: Code
    /// The libzmq function that failed, e.g. `zmq_bind`.
    public var function: String
    /// What the call was about, e.g. the endpoint of a failed bind; empty when nothing adds meaning.
    public var detail: String

    /// Creates an error, as the wrapper does when a libzmq call fails.
    public init(code: Code, function: String, detail: String = "") {
        self.code = code
        self.function = function
        self.detail = detail
    }

    /// libzmq's text for ``code``.
    public var message: String { code.description }

    /// `function failed: message [errno N] (detail)`.
    public var description: String {
        let about = detail.isEmpty ? "" : " (\(detail))"
        return "\(function)\(about) failed: \(message) [errno \(code.rawValue)]"
    }
}
