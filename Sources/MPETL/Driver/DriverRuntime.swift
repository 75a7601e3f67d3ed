import Foundation
import Synchronization
import ZeroMQ

/// What a driver process shares across its pipelines: one ZeroMQ context, one run folder for
/// `ipc://` sockets, the coordinator (embedded unless `MPETL_COORDINATOR` names one) and the
/// agent thread that talks to it. Created on the first `start()`.
final class DriverRuntime: Sendable {
    static let coordinatorEnvironmentKey = "MPETL_COORDINATOR"

    let context: Context
    let runDirectory: String
    let coordinator: Coordinator?
    let agent: DriverAgent

    private static let shared = Mutex<DriverRuntime?>(nil)

    static func current() throws -> DriverRuntime {
        try shared.withLock { runtime in
            if let runtime { return runtime }
            let created = try DriverRuntime()
            runtime = created
            return created
        }
    }

    private init() throws {
        context = try Context()
        runDirectory = try RunDirectory.create()
        let endpoint: String
        if let external = ProcessInfo.processInfo.environment[Self.coordinatorEnvironmentKey], !external.isEmpty {
            endpoint = external
            coordinator = nil
        } else {
            endpoint = "ipc://\(runDirectory)/coordinator.sock"
            coordinator = try Coordinator(context: context, endpoint: endpoint)
        }
        agent = try DriverAgent(context: context, coordinatorEndpoint: endpoint)
    }
}
