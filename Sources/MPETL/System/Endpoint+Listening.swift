import ZeroMQ

extension Endpoint {
    /// Whether a socket on this host listens at this `ipc://` endpoint (its file exists, or its
    /// abstract name is in /proc/net/unix); false for other transports, which only a
    /// connection attempt can tell.
    var isListeningHere: Bool {
        guard case .ipc(let path) = transport else { return false }
        return Syscalls.isListening(ipcPath: path)
    }
}
