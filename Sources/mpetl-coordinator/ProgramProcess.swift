import ArgumentParser
import Foundation
import MPETL

/// The user's program, started with `MPETL_COORDINATOR` pointing here, and owned to its end.
///
/// Foundation starts it in a process group of its own, so a terminal's Ctrl-C and Ctrl-Z reach
/// only `launch`, which passes them on:
/// - the first SIGINT, SIGTERM or SIGHUP goes to the program (its driver stops its pipelines,
///   and their workers tear down); Ctrl-C pressed again ends the program's whole process group
///   at once; repeats of the others change nothing (a closed terminal sends SIGHUP twice);
/// - Ctrl-Z stops the program's process group, then `launch`; `fg` continues both.
/// Should `launch` itself be killed, the program gets SIGTERM from the kernel (it asks for a
/// parent-death signal when it sees ``CoordinatorServer/launcherEnvironmentKey``) and its
/// driver finds this coordinator gone, so nothing outlives it. A program in a background
/// process group that read the terminal would be stopped for ever (SIGTTIN), so when standard
/// input is a terminal the program reads /dev/null instead.
final class ProgramProcess {
    private let process = Process()
    private let exited = DispatchSemaphore(value: 0)
    private var signalSources: [any DispatchSourceSignal] = []
    private let received = Received()

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
        if let advertise { environment[EnvironmentVariable.advertise.name] = advertise }
        // This command shows the run's progress; the program's own would draw over it.
        environment[EnvironmentVariable.progress.name] = ProgressDisplay.off.rawValue
        process.environment = environment
        if isatty(STDIN_FILENO) == 1 { process.standardInput = FileHandle.nullDevice }
        let exited = exited
        process.terminationHandler = { _ in exited.signal() }
        // The program gets default signal handling whatever this process inherited (a test
        // runner or service manager may have ignored or blocked some): Ctrl-C and SIGTERM must
        // reach it as usual.
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { signal(signalNumber, SIG_DFL) }
        do {
            try process.run()
        } catch {
            // Foundation fails with EBADF when the descriptor limit is low (below 256 here).
            var limit = rlimit()
            let low = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < 256
            throw ValidationError(
                "cannot start \(command[0]): \(error)"
                    + (low
                        ? "; this process may open only \(limit.rlim_cur) files: raise the limit (`ulimit -n 4096`)"
                        : ""))
        }
        forwardStopSignals()
    }

    /// Passes stop signals, Ctrl-Z and `fg` on to the program (see the type's comment).
    private func forwardStopSignals() {
        let pid = process.processIdentifier
        let received = received
        signalSources = [SIGINT, SIGTERM, SIGHUP, SIGTSTP, SIGCONT].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler {
                switch signalNumber {
                case SIGTSTP:
                    kill(-pid, SIGSTOP)
                    kill(getpid(), SIGSTOP)
                case SIGCONT:
                    kill(-pid, SIGCONT)
                default:
                    switch received.note(signalNumber) {
                    case .first: kill(pid, signalNumber)
                    case .interruptedAgain:
                        kill(-pid, SIGKILL)
                        kill(pid, SIGKILL)
                    case .repeated: break
                    }
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

    /// The program's exit status, 128 + N for signal N, like a shell; 130 when Ctrl-C pressed
    /// twice made `launch` end it, as if the first had ended it by SIGINT.
    var exitStatus: Int32 {
        if received.interruptedTwice { return 128 + SIGINT }
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    private static func search(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The stop signals seen so far, noted on the signal sources' queue and read once the
    /// program has exited; `lock` orders the two.
    private final class Received: @unchecked Sendable {
        enum Verdict { case first, interruptedAgain, repeated }
        private let lock = NSLock()
        private var seen: [Int32] = []

        func note(_ signal: Int32) -> Verdict {
            lock.lock()
            defer {
                seen.append(signal)
                lock.unlock()
            }
            if seen.isEmpty { return .first }
            return signal == SIGINT && seen.contains(SIGINT) ? .interruptedAgain : .repeated
        }

        var interruptedTwice: Bool {
            lock.lock()
            defer { lock.unlock() }
            return seen.filter { $0 == SIGINT }.count >= 2
        }
    }
}
