import CLibZMQ

extension Socket {
    /// The most messages queued towards one peer before sends block (`ZMQ_SNDHWM`; 0: no limit).
    public var sendHighWaterMark: Int {
        Int((try? intOption(ZMQ_SNDHWM)) ?? 0)
    }

    /// Sets ``sendHighWaterMark``; takes effect for connections made afterwards.
    public func setSendHighWaterMark(_ messages: Int) throws(ZMQError) {
        try setIntOption(ZMQ_SNDHWM, Int32(clamping: messages), "ZMQ_SNDHWM")
    }

    /// Sets the most messages queued from one peer before it stops sending (`ZMQ_RCVHWM`).
    public func setReceiveHighWaterMark(_ messages: Int) throws(ZMQError) {
        try setIntOption(ZMQ_RCVHWM, Int32(clamping: messages), "ZMQ_RCVHWM")
    }

    /// How long close waits to deliver queued messages (`ZMQ_LINGER`); `nil` waits forever.
    ///
    /// Lingering is not end of stream: over `ipc://` a closing sender can still lose queued
    /// messages, so MPETL confirms delivery by counting before any socket closes.
    public func setLinger(milliseconds: Int?) throws(ZMQError) {
        try setIntOption(ZMQ_LINGER, Int32(clamping: milliseconds ?? -1), "ZMQ_LINGER")
    }

    /// Only queue messages to completed connections (`ZMQ_IMMEDIATE`).
    public func setImmediate(_ enabled: Bool) throws(ZMQError) {
        try setIntOption(ZMQ_IMMEDIATE, enabled ? 1 : 0, "ZMQ_IMMEDIATE")
    }

    /// Sets how long a blocking send waits before failing with ``ZMQError/Code/wouldBlock``.
    public func setSendTimeout(milliseconds: Int?) throws(ZMQError) {
        try setIntOption(ZMQ_SNDTIMEO, Int32(clamping: milliseconds ?? -1), "ZMQ_SNDTIMEO")
    }

    /// Sets how long a blocking receive waits before failing with ``ZMQError/Code/wouldBlock``.
    public func setReceiveTimeout(milliseconds: Int?) throws(ZMQError) {
        try setIntOption(ZMQ_RCVTIMEO, Int32(clamping: milliseconds ?? -1), "ZMQ_RCVTIMEO")
    }

    /// Sets the identity a ROUTER peer sees for this socket (`ZMQ_ROUTING_ID`), 1–255 bytes.
    public func setRoutingID(_ id: [UInt8]) throws(ZMQError) {
        try setBytesOption(ZMQ_ROUTING_ID, id, "ZMQ_ROUTING_ID")
    }

    /// Makes a ROUTER fail with ``ZMQError/Code/hostUnreachable`` for unknown peers
    /// instead of silently dropping the message (`ZMQ_ROUTER_MANDATORY`).
    public func setRouterMandatory(_ enabled: Bool) throws(ZMQError) {
        try setIntOption(ZMQ_ROUTER_MANDATORY, enabled ? 1 : 0, "ZMQ_ROUTER_MANDATORY")
    }

    /// The endpoint the socket last bound, with wildcards resolved (`tcp://127.0.0.1:41234`).
    public func lastEndpoint() throws(ZMQError) -> Endpoint {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        _ = try checked("zmq_getsockopt", "ZMQ_LAST_ENDPOINT") {
            zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size)
        }
        return try Endpoint(
            parsing: String(decoding: buffer.prefix(while: { $0 != 0 }).map(UInt8.init(bitPattern:)), as: UTF8.self))
    }

    func setIntOption(_ option: Int32, _ value: Int32, _ name: String) throws(ZMQError) {
        var value = value
        _ = try checked("zmq_setsockopt", name) {
            zmq_setsockopt(handle, option, &value, MemoryLayout<Int32>.size)
        }
    }

    func setBytesOption(_ option: Int32, _ value: [UInt8], _ name: String) throws(ZMQError) {
        _ = try checked("zmq_setsockopt", name) {
            value.withUnsafeBytes { zmq_setsockopt(handle, option, $0.baseAddress, $0.count) }
        }
    }

    func intOption(_ option: Int32) throws(ZMQError) -> Int32 {
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        _ = try checked("zmq_getsockopt") { zmq_getsockopt(handle, option, &value, &size) }
        return value
    }
}
