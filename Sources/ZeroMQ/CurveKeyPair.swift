import CLibZMQ

/// A CURVE long-term key pair, both keys as 40-character Z85 text.
///
/// A CURVE server needs its secret key (``Socket/setCurveServer(secretKey:zapDomain:)``);
/// each client needs the server's public key and its own pair
/// (``Socket/setCurveClient(serverPublicKey:keyPair:)``). Public keys may be shared freely;
/// secret keys may not, so neither `description` nor errors ever show one.
///
/// ```swift
/// let server = try CurveKeyPair.generate()
/// let certificate = server.secretCertificate()  // czmq's and pyzmq's format; store it with mode 0600
/// let loaded = try CurveKeyPair(certificate: certificate)
/// ```
public struct CurveKeyPair: Sendable, Equatable {
    /// The public key, shared with peers: 40 Z85 characters.
    public let publicKey: String
    /// The secret key, never shared: 40 Z85 characters.
    public let secretKey: String

    /// The length of a Z85-encoded CURVE key (32 bytes, 5 characters per 4 bytes).
    public static let z85KeyLength = 40

    /// Whether this libzmq was built with CURVE (libsodium or tweetnacl).
    ///
    /// Without it ``generate()`` and every CURVE socket option fail.
    ///
    /// ```swift
    /// guard CurveKeyPair.isCurveAvailable else { fatalError("libzmq lacks CURVE") }
    /// ```
    public static var isCurveAvailable: Bool { Context.has("curve") }

    /// Generates a fresh key pair from the system's secure random source.
    ///
    /// ```swift
    /// let keys = try CurveKeyPair.generate()
    /// print(keys.publicKey)  // 40 Z85 characters, safe to share
    /// ```
    /// - Throws: ``ZMQError`` from `zmq_curve_keypair`, e.g. when libzmq has no CURVE
    ///   (see ``isCurveAvailable``).
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var publicBuffer = [CChar](repeating: 0, count: z85KeyLength + 1)
        var secretBuffer = [CChar](repeating: 0, count: z85KeyLength + 1)
        _ = try checked("zmq_curve_keypair", isCurveAvailable ? "" : "libzmq was built without CURVE") {
            zmq_curve_keypair(&publicBuffer, &secretBuffer)
        }
        let pair = CurveKeyPair(validated: text(of: publicBuffer), text(of: secretBuffer))
        // The strings hold their own copies; do not leave the secret in this buffer too.
        for index in secretBuffer.indices { secretBuffer[index] = 0 }
        return pair
    }

    /// Checks and wraps an existing key pair.
    ///
    /// Both keys must be 40 Z85 characters. When libzmq has CURVE, the public key must also be
    /// the one derived from the secret key, so that a pair mixed up from two files fails here
    /// rather than as a handshake that silently never completes.
    ///
    /// ```swift
    /// let keys = try CurveKeyPair(publicKey: storedPublic, secretKey: storedSecret)
    /// ```
    /// - Throws: ``ZMQError`` with ``ZMQError/Code/invalidArgument`` naming which key is
    ///   malformed, or that the keys do not belong together.
    public init(publicKey: String, secretKey: String) throws(ZMQError) {
        try Self.validate(publicKey, named: "public key")
        try Self.validate(secretKey, named: "secret key")
        if Self.isCurveAvailable, try Self.publicKey(fromSecret: secretKey) != publicKey {
            throw ZMQError(
                code: .invalidArgument, function: "zmq_curve_public",
                detail: "the public key does not belong to the secret key")
        }
        self.init(validated: publicKey, secretKey)
    }

    private init(validated publicKey: String, _ secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Derives the public key that belongs to a Z85 secret key.
    ///
    /// ```swift
    /// let publicKey = try CurveKeyPair.publicKey(fromSecret: keys.secretKey)
    /// assert(publicKey == keys.publicKey)
    /// ```
    /// - Throws: ``ZMQError`` when the secret key is not 40 Z85 characters or libzmq has no CURVE.
    public static func publicKey(fromSecret secretKey: String) throws(ZMQError) -> String {
        try validate(secretKey, named: "secret key")
        var publicBuffer = [CChar](repeating: 0, count: z85KeyLength + 1)
        _ = try checked("zmq_curve_public", isCurveAvailable ? "" : "libzmq was built without CURVE") {
            zmq_curve_public(&publicBuffer, secretKey)
        }
        return text(of: publicBuffer)
    }

    // MARK: - Z85

    /// Throws unless `key` is 40 characters that decode as Z85; `name` says which key it is.
    ///
    /// The error never contains the key: it may be a secret one.
    static func validate(_ key: String, named name: String) throws(ZMQError) {
        let count = key.utf8.count
        guard count == z85KeyLength else {
            throw ZMQError(
                code: .invalidArgument, function: "zmq_z85_decode",
                detail: "\(name): expected \(z85KeyLength) Z85 characters, got \(count)")
        }
        guard decodeZ85(key) != nil else {
            throw ZMQError(
                code: .invalidArgument, function: "zmq_z85_decode",
                detail: "\(name): not valid Z85 text")
        }
    }

    /// The 32 bytes a 40-character Z85 key stands for, or nil when it is not valid Z85.
    static func decodeZ85(_ key: String) -> [UInt8]? {
        // A NUL inside the string would make libzmq decode only a prefix of it.
        guard key.utf8.count == z85KeyLength, !key.utf8.contains(0) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        let decoded = bytes.withUnsafeMutableBufferPointer { buffer in
            zmq_z85_decode(buffer.baseAddress, key) != nil
        }
        return decoded ? bytes : nil
    }

    /// The 40-character Z85 text of a 32-byte key, or nil when `bytes` is not 32 bytes long.
    static func encodeZ85(_ bytes: [UInt8]) -> String? {
        guard bytes.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: z85KeyLength + 1)
        let encoded = bytes.withUnsafeBufferPointer { buffer in
            zmq_z85_encode(&text, buffer.baseAddress, buffer.count) != nil
        }
        return encoded ? Self.text(of: text) : nil
    }

    private static func text(of buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map(UInt8.init(bitPattern:)), as: UTF8.self)
    }
}

// The synthesized description and mirror would print the secret key into logs and test output.
extension CurveKeyPair: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The public key only; the secret key is redacted.
    public var description: String { "CurveKeyPair(publicKey: \(publicKey), secretKey: <redacted>)" }
    /// The same as ``description``.
    public var debugDescription: String { description }
    /// A mirror with the secret key redacted, for `dump` and test failure messages.
    public var customMirror: Mirror {
        Mirror(self, children: ["publicKey": publicKey, "secretKey": "<redacted>"])
    }
}
