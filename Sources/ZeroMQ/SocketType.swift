import CLibZMQ

/// The ZeroMQ socket pattern a ``Socket`` speaks.
public struct SocketType: Hashable, Sendable, CustomStringConvertible {
    let rawValue: Int32

    /// Distributes messages round-robin to connected pullers, skipping full ones.
    public static let push = SocketType(rawValue: ZMQ_PUSH)
    /// Fair-queues messages from connected pushers.
    public static let pull = SocketType(rawValue: ZMQ_PULL)
    /// Asynchronous request side of a ROUTER conversation.
    public static let dealer = SocketType(rawValue: ZMQ_DEALER)
    /// Addresses each connected peer by its routing id (first frame of every message).
    public static let router = SocketType(rawValue: ZMQ_ROUTER)
    /// One-to-one exclusive pair, used here for socket monitors.
    public static let pair = SocketType(rawValue: ZMQ_PAIR)
    /// Plain TCP: every message is [peer routing id, bytes]; an empty second frame announces a
    /// connection, and sending one closes it. Lets a ZeroMQ program answer HTTP.
    public static let stream = SocketType(rawValue: ZMQ_STREAM)

    /// The pattern's name, e.g. `PUSH`.
    public var description: String {
        switch self {
        case .push: "PUSH"
        case .pull: "PULL"
        case .dealer: "DEALER"
        case .router: "ROUTER"
        case .pair: "PAIR"
        case .stream: "STREAM"
        default: "socket type \(rawValue)"
        }
    }
}
