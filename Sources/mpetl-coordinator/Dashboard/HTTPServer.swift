import ArgumentParser
import Foundation
import Hummingbird
import Logging
import MPETL
import NIOCore
import ServiceLifecycle
import Synchronization

/// One HTTP server of this command (`--dashboard`, `--metrics-listen`): a Hummingbird
/// application and the services that feed it, in one service group on Swift concurrency. The
/// command's own threads block (on the program, on signals), so they start it, which returns
/// once it listens, and stop it, which returns once it has closed.
final class HTTPServer: Sendable {
    /// Where it listens, with the port the kernel gave when port 0 was asked for.
    let address: HTTPAddress
    private let group: ServiceGroup
    private let ended: DispatchSemaphore

    /// Starts serving `router` at `address` and returns once it listens.
    /// - Parameters:
    ///   - what: the server's name in an error, e.g. `--dashboard`.
    ///   - services: run beside the server and stopped with it.
    /// - Throws: `ExitCode` 64, once it said why it cannot listen there (the port is taken, the
    ///   address is not this host's).
    init(
        _ address: HTTPAddress, what: String, router: Router<BasicRequestContext>, services: [any Service] = []
    ) throws {
        let logger = Self.logger
        let outcome = Mutex<Result<Int, any Error>?>(nil)
        let settled = DispatchSemaphore(value: 0)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil),
            onServerRunning: { channel in
                outcome.withLock { $0 = .success(channel.localAddress?.port ?? address.port) }
                settled.signal()
            },
            logger: logger)
        let group = ServiceGroup(configuration: .init(services: [application] + services, logger: logger))
        let ended = DispatchSemaphore(value: 0)
        Task.detached {
            do {
                try await group.run()
            } catch {
                // Only the first outcome counts: an error after the server ran is its end, not a start-up failure.
                outcome.withLock { if $0 == nil { $0 = .failure(error) } }
            }
            settled.signal()
            ended.signal()
        }
        settled.wait()
        switch outcome.withLock({ $0 }) {
        case .success(let port):
            self.address = HTTPAddress(host: address.host, port: port)
        case .failure(let error):
            throw Self.refusal("cannot serve \(what) on \(address): \(Self.explain(error))")
        case nil:
            throw Self.refusal("cannot serve \(what) on \(address): the server ended before it listened")
        }
        self.group = group
        self.ended = ended
    }

    /// Stops listening and waits (2 s at most, so a browser holding a connection open cannot
    /// keep the command from exiting) for open requests to finish. Calling it again does nothing.
    func stop() {
        let group = group
        Task.detached { await group.triggerGracefulShutdown() }
        if ended.wait(timeout: .now() + 2) == .success { ended.signal() }
    }

    /// Says `message` on standard error and gives the status of a bad option (64): the usage
    /// text ArgumentParser adds to a `ValidationError` thrown this late would not help.
    private static func refusal(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
        return ExitCode.validationFailure
    }

    /// What the system said, and what to do about the usual cases.
    private static func explain(_ error: any Error) -> String {
        guard let failure = error as? IOError else { return "\(error)" }
        let said = "\(String(cString: strerror(failure.errnoCode))) (errno \(failure.errnoCode))"
        switch failure.errnoCode {
        case EADDRINUSE: return said + "; another process listens there: choose another port, or 0 for a free one"
        case EADDRNOTAVAIL: return said + "; the address is not one of this host's: see `ip -brief address`"
        case EACCES: return said + "; ports below 1024 need privileges: choose a port from 1024"
        default: return said
        }
    }

    /// Hummingbird's own lines stay quiet unless `MPETL_LOG_LEVEL` asks for debug or trace: the
    /// command prints where it serves itself, and Hummingbird's info line would say it twice.
    private static var logger: Logger {
        var logger = Logger(label: "mpetl-coordinator.http", factory: { StreamLogHandler.standardError(label: $0) })
        let asked = EnvironmentVariable.logLevel.value.flatMap { Logger.Level(rawValue: $0.lowercased()) }
        logger.logLevel = asked.map { $0 <= .debug ? $0 : max($0, .warning) } ?? .warning
        return logger
    }
}

extension HTTPAddress {
    fileprivate init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// The server's address as a person types it into a browser.
    var url: String { "http://\(self)/" }
}
