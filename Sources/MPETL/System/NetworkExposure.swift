import Foundation

/// Whether this process's sockets must be reachable from other hosts.
///
/// `mpetl-coordinator launch --listen tcp://…` and `worker` set `MPETL_ADVERTISE` to the
/// address other hosts reach this one at; the driver and its workers then bind their data
/// sockets on TCP there as well as on `ipc://`. Unset, everything stays on this host.
enum NetworkExposure {
    static let environmentKey = "MPETL_ADVERTISE"

    static let advertisedAddress: String? = {
        guard let value = ProcessInfo.processInfo.environment[environmentKey], !value.isEmpty else { return nil }
        return value
    }()
}
