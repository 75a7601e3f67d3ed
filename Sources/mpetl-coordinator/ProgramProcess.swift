import ArgumentParser
import Foundation
import MPETL

/// The user's program, started with `MPETL_COORDINATOR` pointing here, and owned to its end.
///
/// Foundation starts it in a process group of its own, so a terminal's Ctrl-C reaches only
/// `launch`: `launch` forwards SIGINT, SIGTERM and SIGHUP to it (its driver stops its
/// pipelines, and their workers tear down), and a second one ends the program's whole process
/// group at once. Should `launch` itself be killed, the program gets SIGTERM from the kernel
/// (it asks for a parent-death signal when it sees ``CoordinatorServer/launcherEnvironmentKey``)
/// and its driver finds this coordinator gone, so nothing outlives it.
final class ProgramProcess {
    private let process = Process()
    private let exited = DispatchSemaphore(value: 0)
    private var signalSources: [any DispatchSourceSignal] = []

    init(command: [String], coordinator: String, advertise: String?) throws {
        let executable = command[0].contains("/") ? command[0] : Self.search(command[0])
        guard let executable, FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("cannot run \(command[0]): not an executable file (give a path, or a name on PATH)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment[CoordinatorServer.environmentKey] = coordinator
        environment[CoordinatorServer.launcherEnvironmentKey] = "\(getpid())"
        if let advertise { environment["MPETL_ADVERTISE"] = advertise }
        process.environment = environment
        let exited = exited
        process.terminationHandler = { _ in exited.signal() }
        // The program gets default signal handling whatever this process inherited (a test
        // runner or service manager may have ignored or blocked some): Ctrl-C and SIGTERM must
        // reach it as usual.
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { signal(signalNumber, SIG_DFL) }
        try process.run()
        forwardStopSignals()
    }

    /// The first stop signal goes to the program; any after it ends its process group.
    private func forwardStopSignals() {
        let pid = process.processIdentifier
        let received = Counter()
        signalSources = [SIGINT, SIGTERM, SIGHUP].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler {
                if received.increment() == 1 {
                    kill(pid, signalNumber)
                } else {
                    kill(-pid, SIGKILL)
                    kill(pid, SIGKILL)
                }
            }
            source.resume()
            return source
        }
    }

    /// Waits up to `seconds`; true once the program has exited.
    func waitForExit(seconds: Double) -> Bool {
        guard exited.wait(timeout: .now() + seconds) == .success else { return false }
        exited.signal()
        return true
    }

    /// The program's exit status, 128 + N for signal N, like a shell.
    var exitStatus: Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    private static func search(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Stop signals seen; touched only on the signal sources' queue.
    private final class Counter: @unchecked Sendable {
        private var value = 0
        func increment() -> Int {
            value += 1
            return value
        }
    }
}
