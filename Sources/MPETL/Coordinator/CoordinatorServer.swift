import Foundation
import Logging
internal import MessagePack
import ZeroMQ

/// A coordinator running on its own, outside any driver: what `mpetl-coordinator launch` and
/// `serve` run. Programs reach it through the `MPETL_COORDINATOR` environment variable instead
/// of embedding one.
///
/// ```swift
/// let server = try CoordinatorServer(listening: ["ipc://@mpetl"])
/// setenv(CoordinatorServer.environmentKey, server.endpoints[0], 1)
/// // … run programs that start pipelines …
/// for pipeline in server.snapshot() { print(pipeline.pipeline, pipeline.state) }
/// ```
public final class CoordinatorServer: Sendable {
    /// The environment variable that points a program's pipelines at a coordinator.
    public static let environmentKey = EnvironmentVariable.coordinator.name
    /// The environment variable that names the pid of a command owning the program (`launch`
    /// sets it): the program's driver asks the kernel for SIGTERM when that process dies, so
    /// the program never outlives it.
    public static let launcherEnvironmentKey = EnvironmentVariable.launcherPID.name

    /// Where programs and workers connect; workers this coordinator starts use the first.
    public var endpoints: [String] { coordinator.endpoints.map(\.description) }

    private let context: Context
    let coordinator: Coordinator

    /// Binds every endpoint (`ipc://…` or `tcp://ADDRESS:PORT`) and starts coordinating.
    /// - Parameters:
    ///   - heartbeatTimeout: how long a worker host (or driver) on another machine may be
    ///     silent before its workers are declared lost and their work replayed; nil takes
    ///     `MPETL_HEARTBEAT_TIMEOUT` seconds, else 30 seconds. Processes on this host are
    ///     watched through the kernel instead and never timed out.
    ///   - endpoints: where programs and worker hosts connect.
    ///   - logger: where the coordinator's lines go (see ``Pipeline/init(name:maxSize:logger:progress:)``);
    ///     `nil`: standard error at `MPETL_LOG_LEVEL`.
    /// - Throws: ``PipelineError/Code/transportFailed`` when an endpoint cannot be bound,
    ///   ``PipelineError/Code/invalidDefinition`` for a bad `MPETL_HEARTBEAT_TIMEOUT` or a
    ///   malformed endpoint.
    public init(heartbeatTimeout: Duration? = nil, listening endpoints: [String], logger: Logger? = nil) throws {
        if let logger { Log.adopt(logger) }
        guard !endpoints.isEmpty else {
            throw PipelineError(
                code: .invalidDefinition, pipeline: "coordinator", reason: "give at least one endpoint to listen on")
        }
        let hostTimeout = try heartbeatTimeout ?? Liveness.hostTimeout()
        // libzmq would unlink another process's socket file and take its path over silently.
        let endpoints = try endpoints.map { text in
            do throws(ZMQError) {
                return try Endpoint(parsing: text)
            } catch {
                throw PipelineError(
                    code: .invalidDefinition, pipeline: "coordinator", reason: "cannot listen at \(error.detail)")
            }
        }
        for endpoint in endpoints where endpoint.socketFilePath != nil && endpoint.isListeningHere {
            throw PipelineError(
                code: .transportFailed, pipeline: "coordinator",
                reason:
                    "another process already listens at \(endpoint) (a coordinator still running?); stop it, or choose "
                    + "another endpoint"
            )
        }
        do {
            context = try Context()
            coordinator = try Coordinator(context: context, endpoints: endpoints, hostTimeout: hostTimeout)
        } catch {
            throw PipelineError(
                code: .transportFailed, pipeline: "coordinator",
                reason: "could not listen on \(endpoints.map(\.description).joined(separator: ", ")): \(error)")
        }
    }

    /// Stops coordinating and waits until the coordinator's thread has ended and closed its
    /// sockets (libzmq frees the endpoints a moment later). Programs and worker hosts still connected find it gone: on
    /// this host at once,
    /// elsewhere within their coordinator timeout. Calling it again does nothing.
    ///
    /// ```swift
    /// let server = try CoordinatorServer(listening: ["ipc://@mpetl"])
    /// defer { server.stop() }
    /// ```
    public func stop() {
        coordinator.stop()
    }

    /// Every pipeline this coordinator has seen, in start order, as of a fraction of a second ago.
    public func snapshot() -> [PipelineStats] {
        coordinator.published.current
    }

    /// The worker hosts connected now, as of a fraction of a second ago.
    public func workerHosts() -> [WorkerHostStatus] {
        coordinator.published.workerHosts
    }

    /// Asks the coordinator at `endpoint` for every pipeline it knows.
    ///
    /// ```swift
    /// for pipeline in try CoordinatorServer.status(of: "tcp://10.0.0.1:5555") { print(pipeline.pipeline) }
    /// ```
    /// - Throws: ``PipelineError/Code/transportFailed`` when nothing answers within `timeout`.
    public static func status(of endpoint: String, timeout: Duration = .seconds(3)) throws -> [PipelineStats] {
        do {
            let context = try Context()
            let dealer = try ClusterSecurity.socket(context, type: .dealer, role: .client)
            try dealer.setLinger(milliseconds: 0)
            try dealer.setReceiveTimeout(milliseconds: Int(timeout / .milliseconds(1)))
            try dealer.connect(endpoint)
            try dealer.send(try MessagePackEncoder().encode(ControlMessage.statusRequest))
            let reply = Message()
            try dealer.receive(into: reply)
            guard case .status(let pipelines)? = reply.controlMessage(MessagePackDecoder()) else {
                throw PipelineError(
                    code: .transportFailed, pipeline: "coordinator",
                    reason: "\(endpoint) answered with something other than a status")
            }
            return pipelines
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError(
                code: .transportFailed, pipeline: "coordinator",
                reason:
                    "no coordinator answered at \(endpoint) within \(timeout) (\(error)); is `mpetl-coordinator serve` "
                    + "or `launch` running there?"
            )
        }
    }
}

/// A worker host connected to a coordinator.
public struct WorkerHostStatus: Codable, Equatable, Sendable {
    /// Its name (`mpetl-coordinator worker --name`).
    public var host: String
    /// How many workers it may run at once.
    public var slots: Int
    /// How many it runs now.
    public var busy: Int
}
