import Foundation

/// Whether this process's sockets must be reachable from other hosts.
///
/// `mpetl-coordinator launch --listen tcp://…` and `worker` set `MPETL_ADVERTISE` to the
/// address other hosts reach this one at; the driver and its workers then bind their data
/// sockets on TCP there as well as on `ipc://`. Unset, everything stays on this host.
enum NetworkExposure {
    static let advertisedAddress: String? = EnvironmentVariable.advertise.value
}
