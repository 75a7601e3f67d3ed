import CLibZMQ

extension Socket {
    /// Makes this socket a CURVE server: peers must know its public key, and every connection
    /// is encrypted and authenticated.
    ///
    /// Set it before ``bind(_:)`` or ``connect(_:)``: libzmq applies security options to
    /// connections made afterwards only. The server role does not depend on the direction, but
    /// the usual shape is a bound server and connecting clients.
    ///
    /// Without a ``ZAPAuthenticator`` running in the same ``Context``, libzmq accepts every
    /// client that knows the server's public key; start one before any client can handshake.
    ///
    /// ```swift
    /// let authenticator = try ZAPAuthenticator(context: context, allowedClientKeys: [client.publicKey])
    /// let pull = try Socket(context, type: .pull)
    /// try pull.setCurveServer(secretKey: serverKeys.secretKey)
    /// try pull.bind("tcp://0.0.0.0:5555")
    /// ```
    /// - Parameters:
    ///   - secretKey: the server's secret key, 40 Z85 characters.
    ///   - zapDomain: the domain sent with each ZAP request (`ZMQ_ZAP_DOMAIN`).
    /// - Throws: ``ZMQError`` with ``ZMQError/Code/invalidArgument`` when the key is malformed
    ///   (the socket is then left unchanged), or any error from `zmq_setsockopt`.
    public func setCurveServer(secretKey: String, zapDomain: String = "mpetl") throws(ZMQError) {
        // Checked first so that a bad key cannot leave a server with no key configured.
        try CurveKeyPair.validate(secretKey, named: "ZMQ_CURVE_SECRETKEY")
        try setIntOption(ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
        try setZ85KeyOption(ZMQ_CURVE_SECRETKEY, secretKey, "ZMQ_CURVE_SECRETKEY")
        try setBytesOption(ZMQ_ZAP_DOMAIN, Array(zapDomain.utf8), "ZMQ_ZAP_DOMAIN")
    }

    /// Makes this socket a CURVE client of the server whose public key is `serverPublicKey`.
    ///
    /// Set it before ``connect(_:)`` or ``bind(_:)``: libzmq applies security options to
    /// connections made afterwards only. A wrong server key or a client key the server's
    /// ``ZAPAuthenticator`` does not allow fails the handshake; sends then queue and libzmq keeps
    /// reconnecting, so nothing arrives and nothing is reported to the sender.
    ///
    /// ```swift
    /// let push = try Socket(context, type: .push)
    /// try push.setCurveClient(serverPublicKey: serverPublicKey, keyPair: try CurveKeyPair.generate())
    /// try push.connect("tcp://10.0.0.5:5555")
    /// ```
    /// - Throws: ``ZMQError`` with ``ZMQError/Code/invalidArgument`` when the server key is
    ///   malformed (the socket is then left unchanged), or any error from `zmq_setsockopt`.
    public func setCurveClient(serverPublicKey: String, keyPair: CurveKeyPair) throws(ZMQError) {
        try CurveKeyPair.validate(serverPublicKey, named: "ZMQ_CURVE_SERVERKEY")
        try setZ85KeyOption(ZMQ_CURVE_SERVERKEY, serverPublicKey, "ZMQ_CURVE_SERVERKEY")
        try setZ85KeyOption(ZMQ_CURVE_PUBLICKEY, keyPair.publicKey, "ZMQ_CURVE_PUBLICKEY")
        try setZ85KeyOption(ZMQ_CURVE_SECRETKEY, keyPair.secretKey, "ZMQ_CURVE_SECRETKEY")
    }

    /// Sends ZMTP heartbeats so that a dead peer or a silently dropped TCP connection is noticed
    /// (`ZMQ_HEARTBEAT_IVL`, `ZMQ_HEARTBEAT_TIMEOUT`, `ZMQ_HEARTBEAT_TTL`).
    ///
    /// Set it before ``bind(_:)`` or ``connect(_:)``: it applies to connections made afterwards.
    ///
    /// ```swift
    /// // Ping every second; drop the connection after 3 s without traffic from the peer.
    /// try dealer.setHeartbeat(intervalMilliseconds: 1_000, timeoutMilliseconds: 3_000)
    /// ```
    /// - Parameters:
    ///   - intervalMilliseconds: time between pings; 0 turns heartbeats off.
    ///   - timeoutMilliseconds: how long to wait for any traffic after a ping before closing the
    ///     connection; `nil` keeps libzmq's default, the interval.
    ///   - ttlMilliseconds: how long the *peer* should wait for traffic from this socket before
    ///     it closes the connection, sent with each ping; whole tenths of a second up to
    ///     6 553 500 ms. `nil` sends none, and the peer relies on its own timeout.
    /// - Throws: ``ZMQError`` with ``ZMQError/Code/invalidArgument`` for a value libzmq rejects,
    ///   such as a negative time or a TTL above its range.
    public func setHeartbeat(
        intervalMilliseconds: Int, timeoutMilliseconds: Int? = nil, ttlMilliseconds: Int? = nil
    ) throws(ZMQError) {
        try setIntOption(ZMQ_HEARTBEAT_IVL, Int32(clamping: intervalMilliseconds), "ZMQ_HEARTBEAT_IVL")
        if let timeoutMilliseconds {
            try setIntOption(ZMQ_HEARTBEAT_TIMEOUT, Int32(clamping: timeoutMilliseconds), "ZMQ_HEARTBEAT_TIMEOUT")
        }
        if let ttlMilliseconds {
            try setIntOption(ZMQ_HEARTBEAT_TTL, Int32(clamping: ttlMilliseconds), "ZMQ_HEARTBEAT_TTL")
        }
    }

    /// Sets a CURVE key option from 40 Z85 characters, which libzmq takes with their
    /// terminating NUL (41 bytes); 32 bytes would be read as a binary key instead.
    func setZ85KeyOption(_ option: Int32, _ key: String, _ name: String) throws(ZMQError) {
        // Callers validated `key`, so it is 40 ASCII bytes and the NUL makes 41.
        let size = key.utf8.count + 1
        _ = try checked("zmq_setsockopt", name) {
            key.withCString { zmq_setsockopt(handle, option, $0, size) }
        }
    }
}
