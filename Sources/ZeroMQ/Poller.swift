import CLibZMQ

/// What a ``Poller`` waits for on a socket or file descriptor.
public struct PollEvents: OptionSet, Sendable {
    /// libzmq's flag bits.
    public let rawValue: Int16
    /// Flags from libzmq's bits.
    public init(rawValue: Int16) { self.rawValue = rawValue }
    /// A message can be received, or the descriptor is readable.
    public static let readable = PollEvents(rawValue: Int16(ZMQ_POLLIN))
    /// A message can be sent without blocking.
    public static let writable = PollEvents(rawValue: Int16(ZMQ_POLLOUT))
}

/// Waits until any of several sockets or file descriptors is ready, without spinning.
///
/// Like a socket, a poller belongs to one thread.
///
/// ```swift
/// let poller = Poller()
/// let input = poller.add(pull, events: .readable)
/// let control = poller.add(dealer, events: .readable)
/// try poller.poll(timeout: nil)
/// if poller.isReady(input) { /* receive */ }
/// ```
public final class Poller {
    /// The position of an item added to a poller.
    public struct Item: Hashable, Sendable {
        let index: Int
    }

    private var items: [zmq_pollitem_t] = []
    // Keeps the polled sockets (and so their handles) alive while they are in `items`.
    private var sockets: [Socket?] = []

    /// An empty poller; add sockets and descriptors, then poll.
    public init() {}

    /// Adds a socket to wait on.
    @discardableResult
    public func add(_ socket: Socket, events: PollEvents) -> Item {
        items.append(zmq_pollitem_t(socket: socket.handle, fd: -1, events: events.rawValue, revents: 0))
        sockets.append(socket)
        return Item(index: items.count - 1)
    }

    /// Adds a plain file descriptor (a pidfd, a pipe) to wait on.
    @discardableResult
    public func add(fileDescriptor: Int32, events: PollEvents) -> Item {
        items.append(zmq_pollitem_t(socket: nil, fd: fileDescriptor, events: events.rawValue, revents: 0))
        sockets.append(nil)
        return Item(index: items.count - 1)
    }

    /// Changes what an item waits for; an empty set ignores it until changed again.
    public func setEvents(_ events: PollEvents, for item: Item) {
        items[item.index].events = events.rawValue
    }

    /// Waits until an item is ready or `milliseconds` pass (`nil`: wait as long as it takes).
    /// - Returns: how many items are ready; 0 when the timeout expired.
    @discardableResult
    public func poll(timeoutMilliseconds milliseconds: Int?) throws(ZMQError) -> Int {
        let timeout = milliseconds.map { CLong($0) } ?? -1
        let count = items.count
        return Int(
            try items.withUnsafeMutableBufferPointer { (buffer) throws(ZMQError) -> Int32 in
                try checked("zmq_poll") { zmq_poll(buffer.baseAddress, Int32(count), timeout) }
            })
    }

    /// The events that were ready for `item` after the last ``poll(timeoutMilliseconds:)``.
    public func readyEvents(_ item: Item) -> PollEvents {
        PollEvents(rawValue: items[item.index].revents)
    }

    /// Whether `item` was readable after the last ``poll(timeoutMilliseconds:)``.
    public func isReadable(_ item: Item) -> Bool {
        readyEvents(item).contains(.readable)
    }

    /// Whether `item` was writable after the last ``poll(timeoutMilliseconds:)``.
    public func isWritable(_ item: Item) -> Bool {
        readyEvents(item).contains(.writable)
    }
}
