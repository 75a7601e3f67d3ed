import Foundation

/// A process as its peers can find it: its pid, and the kernel view it runs in.
///
/// Two processes with the same ``kernelScope`` share a boot, a pid namespace and a network
/// namespace: each can watch the other's exit through a pidfd, a kernel fact that no load can
/// delay or fake, and reach its `ipc://` sockets. Such a peer is *local* and is never judged by
/// silence. Any other peer (another machine, or another network namespace on this one) is
/// *remote*: only its heartbeats say it is there.
struct ProcessIdentity: Codable, Equatable, Sendable {
    var pid: Int32
    /// `boot id/pid namespace/network namespace`, as `/proc` names them.
    var kernelScope: String

    /// This process.
    static let current = ProcessIdentity(pid: Syscalls.processID, kernelScope: Syscalls.kernelScope)

    /// Whether this process can watch `self` through a pidfd.
    var isLocal: Bool { kernelScope == Self.current.kernelScope }
}
