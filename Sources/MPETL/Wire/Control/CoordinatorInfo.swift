/// The coordinator as its agents need to know it: whether they can watch its process, and
/// how long it waits on a silent remote host.
struct CoordinatorInfo: Codable, Equatable, Sendable {
    var process: ProcessIdentity
    var hostTimeoutMilliseconds: UInt64
}
