import Foundation

/// Processes that keep every core busy (`while :; do :; done`), started and ended by pid: the
/// saturated machine MPETL must treat as normal.
final class BusyLoops {
    private var processes: [Process] = []

    init(_ count: Int) throws {
        for _ in 0..<count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "while :; do :; done"]
            try process.run()
            processes.append(process)
        }
    }

    var pids: [Int32] { processes.map(\.processIdentifier) }

    /// Ends every loop and waits for it.
    func stop() {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
        processes.removeAll()
    }

    deinit { stop() }
}
