import Foundation
import Testing

/// A finished run of one of the package's executables.
struct ProgramRun {
    var status: Int32
    var reason: Process.TerminationReason
    var standardOutput: String
    var standardError: String

    var lines: [String] { standardOutput.split(separator: "\n").map(String.init) }

    /// The last line of standard output parsed as a JSON object.
    func json() throws -> [String: Any] {
        let line = try #require(lines.last, "no output; stderr: \(standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(line)")
    }
}

/// Runs the package's executables (built beside the test bundle) as real processes.
enum Programs {
    /// The build's bin folder, where `swift build` puts every executable product.
    static var binDirectory: URL {
        let bundle = Bundle.main.bundleURL
        if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("nursery-rhyme").path) { return bundle }
        return bundle.deletingLastPathComponent()
    }

    /// One of the package's executables by name, or any program by absolute path.
    static func url(_ name: String) -> URL {
        name.hasPrefix("/") ? URL(fileURLWithPath: name) : binDirectory.appendingPathComponent(name)
    }

    /// Starts `name` with `arguments`, its standard input empty.
    static func launch(_ name: String, _ arguments: [String] = [], environment: [String: String] = [:]) throws
        -> RunningProgram
    {
        try RunningProgram(url(name), arguments, environment: environment)
    }

    /// Runs `name` to completion, failing the test if it takes longer than `timeout`.
    static func run(
        _ name: String, _ arguments: [String] = [], timeout: Duration = .seconds(120),
        environment: [String: String] = [:]
    ) throws -> ProgramRun {
        try launch(name, arguments, environment: environment).finish(within: timeout)
    }
}

/// A program the test started; its output is read on background threads so a chatty
/// program never blocks on a full pipe.
final class RunningProgram: @unchecked Sendable {
    let process = Process()
    private let output = Pipe()
    private let error = Pipe()
    private let exited = DispatchSemaphore(value: 0)
    private let outputDone = DispatchSemaphore(value: 0)
    private let errorDone = DispatchSemaphore(value: 0)
    // Written by the reader threads while holding `lock`.
    private let lock = NSLock()
    private var outputData = Data()
    private var errorData = Data()

    private func readUntilEnd(_ handle: FileHandle, into append: (Data) -> Void) {
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return }
            lock.lock()
            append(chunk)
            lock.unlock()
        }
    }

    /// What the program has written to standard output so far.
    var outputSoFar: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: outputData, as: UTF8.self)
    }

    /// What the program has written to standard error so far.
    var errorSoFar: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: errorData, as: UTF8.self)
    }

    init(_ executable: URL, _ arguments: [String], environment: [String: String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = error
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "MPETL_COORDINATOR")
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        Thread.detachNewThread { [self] in
            readUntilEnd(output.fileHandleForReading) { outputData.append($0) }
            outputDone.signal()
        }
        Thread.detachNewThread { [self] in
            readUntilEnd(error.fileHandleForReading) { errorData.append($0) }
            errorDone.signal()
        }
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits for the program to exit; false if it still runs after `timeout`.
    func waitForExit(within timeout: Duration) -> Bool {
        guard exited.wait(timeout: .now() + timeout.timeInterval) == .success else { return false }
        exited.signal()  // stays exited for the next waiter
        return true
    }

    func finish(within timeout: Duration) throws -> ProgramRun {
        guard waitForExit(within: timeout) else {
            process.terminate()
            kill(pid, SIGKILL)
            _ = waitForExit(within: .seconds(5))
            throw TimedOut(program: process.executableURL?.lastPathComponent ?? "?", timeout: timeout)
        }
        // Workers inherit the pipes; they may hold them a moment after the driver exits.
        _ = outputDone.wait(timeout: .now() + 10)
        _ = errorDone.wait(timeout: .now() + 10)
        lock.lock()
        defer { lock.unlock() }
        return ProgramRun(
            status: process.terminationStatus, reason: process.terminationReason,
            standardOutput: String(decoding: outputData, as: UTF8.self),
            standardError: String(decoding: errorData, as: UTF8.self))
    }

    /// Kills the program (its workers die with it; its sockets have no files to clean up):
    /// the cleanup of a test that may end before the program does.
    func killAndClean() {
        kill(pid, SIGKILL)
        _ = waitForExit(within: .seconds(5))
    }

    struct TimedOut: Error, CustomStringConvertible {
        var program: String
        var timeout: Duration
        var description: String { "\(program) did not finish within \(timeout)" }
    }
}

extension Duration {
    var timeInterval: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Waits for `condition` to hold, checking it again whenever `interval` passes, until `timeout`.
/// The pause is bounded by the deadline, not a guess at how long something takes.
func waitUntil(timeout: Duration, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        // Yield the CPU briefly; the deadline, not this pause, bounds the wait.
        _ = poll(nil, 0, 10)
    }
    return condition()
}

/// The `ipc://` sockets a process listens on: MPETL names them in Linux's abstract namespace
/// (`@mpetl-PID-RANDOM/NAME`), so they are found in /proc/net/unix rather than in a folder.
enum RunSockets {
    /// Every socket name under `pid`'s run prefix, e.g. `coordinator.sock`, with its endpoint.
    static func listening(of pid: Int32) -> [(name: String, endpoint: String)] {
        // Read to the end: String(contentsOfFile:) stops after the first page of a /proc file.
        guard let handle = FileHandle(forReadingAtPath: "/proc/net/unix"), let data = try? handle.readToEnd() else {
            return []
        }
        try? handle.close()
        let table = String(decoding: data, as: UTF8.self)
        var seen: Set<String> = []
        var found: [(String, String)] = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // Num RefCount Protocol Flags Type St Inode Path; flags 00010000: listening.
            guard fields.count >= 8, fields[3] == "00010000", fields[7].hasPrefix("@mpetl-\(pid)-") else { continue }
            let path = String(fields[7])
            guard seen.insert(path).inserted, let slash = path.firstIndex(of: "/") else { continue }
            found.append((String(path[path.index(after: slash)...]), "ipc://\(path)"))
        }
        return found
    }
}
