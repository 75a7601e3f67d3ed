import ArgumentParser
import Foundation
import MPETL

/// The user's program, started with `MPETL_COORDINATOR` pointing here.
final class ProgramProcess {
    private let process = Process()
    private let exited = DispatchSemaphore(value: 0)

    init(command: [String], coordinator: String, advertise: String?) throws {
        let executable = command[0].contains("/") ? command[0] : Self.search(command[0])
        guard let executable, FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("cannot run \(command[0]): not an executable file (give a path, or a name on PATH)")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment[CoordinatorServer.environmentKey] = coordinator
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
}

/// A private folder for the coordinator's socket.
struct TemporaryFolder {
    let path: String

    init(prefix: String) throws {
        var template = Array("\(NSTemporaryDirectory())/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw ValidationError("cannot create a folder for the coordinator's socket in \(NSTemporaryDirectory())")
        }
        path = String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
