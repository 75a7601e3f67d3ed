import Foundation
import Synchronization
import ZeroMQ

/// CURVE encryption and authentication for every MPETL socket of this process, when the
/// cluster has a key.
///
/// `MPETL_KEYS` names a secret CURVE certificate, as `mpetl-coordinator keys` (or czmq, or
/// pyzmq) writes it; MPETL's older key files are read too, with a warning. Every process of the
/// cluster holds the same pair: sockets that accept connections (the coordinator's ROUTER,
/// workers' inputs, the results collector) are CURVE servers whose ZAP authenticator admits
/// only clients presenting the cluster's public key, and every other socket is a client with
/// that pair. A peer without the file cannot connect, feed or read; with another key its
/// handshake fails. Unset, sockets are plain, which `ipc://` and loopback need.
enum ClusterSecurity {
    enum Role {
        /// Accepts connections: CURVE server.
        case server
        /// Makes connections: CURVE client.
        case client
    }

    /// The cluster's key pair, read once; nil when `MPETL_KEYS` is unset.
    static let keys: Result<CurveKeyPair, PipelineError>? = {
        guard let path = EnvironmentVariable.keys.value else { return nil }
        func failure(_ reason: String) -> Result<CurveKeyPair, PipelineError> {
            .failure(PipelineError(code: .transportFailed, pipeline: "security", reason: reason))
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            return failure(
                "cannot read the key file \(EnvironmentVariable.keys.name)=\(path): \(error.localizedDescription); "
                    + "write one with `mpetl-coordinator keys`")
        }
        do {
            let pair = try CurveKeyPair(certificate: text)
            warnAboutKeyFile(at: path, text)
            return .success(pair)
        } catch {
            return failure("cannot use the key file \(EnvironmentVariable.keys.name)=\(path): \(error)")
        }
    }()

    /// Warns about a key file that works but should be fixed. Workers leave it to their driver,
    /// which reads the same file: one warning per program, not one per worker.
    private static func warnAboutKeyFile(at path: String, _ text: String) {
        guard case .driver = ProcessRole.current else { return }
        let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int ?? 0
        if mode & 0o077 != 0 {
            let octal = String(mode, radix: 8)
            Log.warning(
                "the key file \(EnvironmentVariable.keys.name)=\(path) is open to other users (mode \(octal)) "
                    + "and holds the cluster's secret key; make it private: chmod 600 \(path)")
        }
        if CurveKeyPair.isLegacyKeyFile(text) {
            Log.warning(
                "the key file \(EnvironmentVariable.keys.name)=\(path) is in MPETL's old format, which a later version "
                    + "will "
                    + "not read; rewrite it as a ZeroMQ certificate with the same key: "
                    + "mpetl-coordinator keys --from \(path) --output \(path) --force")
        }
    }

    /// Whether this process's sockets use CURVE.
    static var isEnabled: Bool { keys != nil }

    private static let authenticators = Mutex<[ObjectIdentifier: ZAPAuthenticator]>([:])

    /// A socket of `type`, secured for `role` when the cluster has a key.
    static func socket(_ context: Context, type: SocketType, role: Role) throws -> Socket {
        let socket = try Socket(context, type: type)
        guard let keys else { return socket }
        let pair = try keys.get()
        switch role {
        case .server:
            try authenticate(in: context, pair)
            try socket.setCurveServer(secretKey: pair.secretKey)
        case .client:
            try socket.setCurveClient(serverPublicKey: pair.publicKey, keyPair: pair)
        }
        return socket
    }

    /// One authenticator per context, kept for the process's life: libzmq admits every client
    /// when none is bound, so it must outlive every server socket.
    private static func authenticate(in context: Context, _ pair: CurveKeyPair) throws {
        try authenticators.withLock { authenticators in
            let key = ObjectIdentifier(context)
            guard authenticators[key] == nil else { return }
            authenticators[key] = try ZAPAuthenticator(context: context, allowedClientKeys: [pair.publicKey])
        }
    }
}
