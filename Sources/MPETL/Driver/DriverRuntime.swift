import Foundation
import Synchronization
import ZeroMQ

/// What a driver process shares across its pipelines: one ZeroMQ context, one run prefix for
/// `ipc://` sockets, the coordinator (embedded unless `MPETL_COORDINATOR` names one) and the
/// agent thread that talks to it. Created on the first `start()`.
final class DriverRuntime: Sendable {

    let context: Context
    let runDirectory: String
    let coordinator: Coordinator?
    let agent: DriverAgent

    private static let shared = Mutex<DriverRuntime?>(nil)
    /// This program's started pipelines, by id, for `Pipeline.send` from the driver and for
    /// join-order checks. Weak: a pipeline the program dropped is gone.
    private let sessions = Mutex<[String: WeakSession]>([:])

    private struct WeakSession {
        weak var session: DriverSession?
    }

    /// The runtime, if this program has started a pipeline.
    static var existing: DriverRuntime? { shared.withLock { $0 } }

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
        let endpoint: Endpoint
        if let external = EnvironmentVariable.coordinator.value {
            do throws(ZMQError) {
                endpoint = try Endpoint(parsing: external)
                try endpoint.checkConnectable()
            } catch {
                throw PipelineError(
                    code: .startFailed, pipeline: "driver",
                    reason:
                        "\(EnvironmentVariable.coordinator.name) is not an endpoint: \(error.detail); give the address "
                        + "`launch --listen` or `serve --listen` uses"
                )
            }
            coordinator = nil
        } else {
            endpoint = .ipc(path: "\(runDirectory)/coordinator.sock")
            coordinator = try Coordinator(
                context: context, endpoints: [endpoint], hostTimeout: try Liveness.hostTimeout())
        }
        agent = try DriverAgent(
            context: context, coordinatorEndpoint: endpoint, embeddedCoordinator: coordinator != nil,
            runDirectory: runDirectory)
        try agent.stopOnInterrupt()
        Self.stopWithLauncher()
    }

    /// Under `launch`, this program stops (SIGTERM, handled like Ctrl-C) when `launch` dies,
    /// however it dies. If it is already gone (this process was handed to another parent),
    /// stop now.
    private static func stopWithLauncher() {
        guard let text = EnvironmentVariable.launcherPID.value, let launcher = Int32(text) else { return }
        Syscalls.dieWithParent(signal: SIGTERM)
        if Syscalls.parentProcessID != launcher { Syscalls.kill(Syscalls.processID, signal: SIGTERM) }
    }

    func add(_ session: DriverSession) {
        sessions.withLock { $0[session.run.id] = WeakSession(session: session) }
    }

    /// The running pipeline of this program with that name, if any.
    func runningSession(named name: String) -> DriverSession? {
        latestSession(named: name).flatMap { $0.run.isDone ? nil : $0 }
    }

    /// The last pipeline this program started with that name, running or not.
    func latestSession(named name: String) -> DriverSession? {
        sessions.withLock { sessions in
            sessions.values.compactMap(\.session).filter { $0.name == name }.max { $0.ordinal < $1.ordinal }
        }
    }

    /// The running sessions this program started before `ordinal`.
    func runningSessions(startedBefore ordinal: UInt32) -> [DriverSession] {
        sessions.withLock { sessions in
            sessions.values.compactMap(\.session).filter { $0.ordinal < ordinal && !$0.run.isDone }.sorted {
                $0.ordinal < $1.ordinal
            }
        }
    }

    /// The session with that id, if this program started it.
    func session(id: String) -> DriverSession? {
        sessions.withLock { $0[id]?.session }
    }
}
