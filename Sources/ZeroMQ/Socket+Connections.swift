import CLibZMQ
import Synchronization

private let monitorSerial = Atomic<Int>(0)

extension ZMQError.Code {
    /// A wait with a deadline ran out (`ETIMEDOUT`).
    public static let timedOut = ZMQError.Code(rawValue: ETIMEDOUT)
}

extension Socket {
    /// Connects to every endpoint and returns once each connection is established.
    ///
    /// `zmq_connect` returns before the connection exists, so a PUSH that sends right away
    /// gives its first messages to whichever peer connected first (ZeroMQ's slow joiner).
    /// This waits on the socket's monitor for one `ZMQ_EVENT_CONNECTED` per endpoint.
    ///
    /// - Parameters:
    ///   - endpoints: endpoints to connect to; duplicates are connected once.
    ///   - milliseconds: how long to wait for all connections.
    /// - Throws: ``ZMQError`` with ``ZMQError/Code/timedOut`` naming the endpoints still
    ///   unconnected when the time is up, or any error from connecting.
    public func connect(_ endpoints: [String], waitingUpTo milliseconds: Int) throws(ZMQError) {
        var pending = Set(endpoints)
        guard !pending.isEmpty else { return }
        let address = "inproc://mpetl-monitor-\(monitorSerial.add(1, ordering: .relaxed).newValue)"
        _ = try checked("zmq_socket_monitor", address) {
            zmq_socket_monitor(handle, address, ZMQ_EVENT_CONNECTED)
        }
        defer { _ = zmq_socket_monitor(handle, nil, 0) }
        let monitor = try Socket(context, type: .pair)
        try monitor.setLinger(milliseconds: 0)
        // inproc connects synchronously, so no event can be sent before this pair listens.
        try monitor.connect(address)
        for endpoint in pending { try connect(endpoint) }

        let deadline = ContinuousClock.now.advanced(by: .milliseconds(milliseconds))
        let poller = Poller()
        let events = poller.add(monitor, events: .readable)
        let frame = Message()
        while !pending.isEmpty {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else {
                throw ZMQError(
                    code: .timedOut, function: "zmq_connect",
                    detail: "no connection within \(milliseconds) ms to \(pending.sorted().joined(separator: ", "))")
            }
            try poller.poll(timeoutMilliseconds: Int(left.components.seconds * 1000) + 1)
            guard poller.isReadable(events) else { continue }
            // A monitor event is two frames: event id and value, then the peer's endpoint.
            try monitor.receive(into: frame)
            guard frame.hasMore else { continue }
            try monitor.receive(into: frame)
            pending.remove(String(decoding: frame.withUnsafeBytes { Array($0) }, as: UTF8.self))
        }
    }
}
