import Foundation
import Testing

/// Whole pipelines in real worker processes, driven through `mpetl-test-programs`.
@Suite("Multi-process pipelines", .serialized)
struct PipelineProcessTests {
    @Test(arguments: [1, 100])
    func everyItemArrivesExactlyOnceAcrossThreeTaskProcesses(chunk: Int) throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["exactly-once", "--items", "100000", "--chunk", "\(chunk)", "--processes", "3"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["missing"] as? Int == 0)
        #expect(result["duplicated"] as? Int == 0)
        #expect(result["outOfRange"] as? Int == 0)
        #expect((result["taskPids"] as? Int ?? 0) >= 3, "\(result)")
        let perPid = result["perPid"] as? [Int] ?? []
        #expect(perPid.reduce(0, +) == 100_000)
    }

    @Test func setupAndTeardownRunOncePerWorkerProcessWithTheSameState() throws {
        let run = try Programs.run("mpetl-test-programs", ["setup-teardown", "--items", "3000"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let setups = run.lines.filter { $0.hasPrefix("setup ") }
        let teardowns = run.lines.filter { $0.hasPrefix("teardown ") }
        func pid(_ line: String) -> String { line.split(separator: " ")[1].description }
        #expect(setups.count == 3, "\(run.lines)")
        #expect(Set(setups.map(pid)).count == 3, "one setup per process")
        #expect(setups.allSatisfy { $0.hasSuffix("call=1") }, "setup ran once in each process")
        #expect(Set(teardowns.map(pid)) == Set(setups.map(pid)), "teardown in every process that set up")
        #expect(teardowns.allSatisfy { $0.hasSuffix("setup=1") }, "teardown got the state setup returned")
        let handled = teardowns.compactMap { line in
            line.split(separator: " ").first { $0.hasPrefix("handled=") }.flatMap { Int($0.dropFirst(8)) }
        }
        #expect(handled.reduce(0, +) == 3000)
        #expect(run.lines.last == "joined", "join returned after every teardown")
    }

    @Test func emittersEmitZeroOneOrManyAndNilPassesNothing() throws {
        let run = try Programs.run("mpetl-test-programs", ["emit-and-drop"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        // 0 → nothing; 1 → [1]; 2 → [2, 2]; 3 → [3, 3, 3]; 5 → five 5s; 7 → seven 7s; evens dropped.
        let expected =
            [10] + Array(repeating: 30, count: 3) + Array(repeating: 50, count: 5) + Array(repeating: 70, count: 7)
        #expect(try run.json()["results"] as? [Int] == expected)
    }

    @Test func asCompletedBeforeJoinStreamsLiveAndEnds() throws {
        let run = try Programs.run("mpetl-test-programs", ["live", "--items", "10000"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["count"] as? Int == 10_000)
        #expect(result["sum"] as? Int == (0..<10_000).reduce(0) { $0 + $1 * 2 })
        #expect(result["secondIteration"] as? Int == 0, "results are yielded once")
    }

    @Test func aMillionResultsCollectedBeforeReading() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["many-results", "--items", "1000000", "--chunk", "100"], timeout: .seconds(300))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["count"] as? Int == 1_000_000)
        #expect(result["sum"] as? Int == 999_999 * 1_000_000 / 2)
    }

    @Test func aBoundedPipelineJoinedBeforeReadingDoesNotDeadlock() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["many-results", "--items", "200000", "--chunk", "1", "--max-size", "1000"],
            timeout: .seconds(300))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["count"] as? Int == 200_000)
        #expect(result["sum"] as? Int == 199_999 * 200_000 / 2)
    }

    @Test func killingTheDriverTakesItsWorkersDown() throws {
        let driver = try Programs.launch("mpetl-test-programs", ["slow-forever"])
        defer { driver.killAndClean() }
        // Four workers (2 + 2) are children of the driver once it has started them.
        var workers: [Int32] = []
        let started = waitUntil(timeout: .seconds(30)) {
            workers = ProcessTable.children(of: driver.pid)
            return workers.count == 4
        }
        #expect(started, "workers: \(workers)")
        kill(driver.pid, SIGKILL)
        let gone = waitUntil(timeout: .seconds(2)) { workers.allSatisfy { !ProcessTable.isAlive($0) } }
        #expect(gone, "every worker exits within 2 seconds; still alive: \(workers.filter(ProcessTable.isAlive))")
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalledDriverTearsItsWorkersDownAndEndsByTheSignal(signal: Int32) throws {
        let driver = try Programs.launch("mpetl-test-programs", ["interruptible"])
        defer { driver.killAndClean() }
        // Mid-run: every worker set up, items flowing.
        let running = waitUntil(timeout: .seconds(30)) { driver.outputSoFar.contains("first item done") }
        #expect(running)
        let workers = ProcessTable.children(of: driver.pid)
        #expect(workers.count == 3)
        kill(driver.pid, signal)
        let run = try driver.finish(within: .seconds(10))
        // It ends by the signal itself, as a shell expects of an interrupted program.
        #expect(run.status == signal, "stderr: \(run.standardError)")
        #expect(run.reason == .uncaughtSignal)
        let teardowns = run.lines.filter { $0.hasPrefix("teardown pid=") }
        #expect(teardowns.count == 2, "both task workers ran their teardown: \(run.lines)")
        #expect(
            workers.allSatisfy { !ProcessTable.isAlive($0) }, "still alive: \(workers.filter(ProcessTable.isAlive))")
    }
}

/// What /proc says about processes.
enum ProcessTable {
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { parentOf($0) == parent }
    }

    static func parentOf(_ pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command: state, ppid, ...
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    /// Alive and not a zombie waiting to be reaped.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z"
    }
}

@Suite("Worker output")
struct WorkerOutputTests {
    @Test func linesUpToPipeBufFromSeveralWorkersInterleaveOnlyAtLineEnds() throws {
        let run = try Programs.run("mpetl-test-programs", ["long-lines", "--lines", "200", "--length", "4000"])
        #expect(run.status == 0, "\(run.standardError.suffix(1000))")
        #expect(run.lines.count == 200)
        let cut = run.lines.filter { line in line.count != 4000 || Set(line).count != 1 }
        #expect(cut.isEmpty, "\(cut.count) lines were cut into each other, e.g. \(cut.first?.prefix(80) ?? "")")
    }
}

@Suite("Reading results in parts")
struct PartialReadTests {
    @Test func aCancelledAsyncReaderStopsWaitingAndTakesNothing() throws {
        let run = try Programs.run("mpetl-test-programs", ["cancelled-read"])
        #expect(run.status == 0, "\(run.standardError.suffix(1000))")
        let result = try run.json()
        #expect(result["cancelledTook"] as? Int == 0, "\(result)")
        #expect(result["rest"] as? [Int] == [0, 1, 2], "what the cancelled reader did not take is left: \(result)")
        #expect(
            (result["cancelledAfterMs"] as? Int ?? 9999) < 900, "it stopped before the first result came: \(result)")
    }

    @Test(arguments: [(10, 0), (7, 0), (100, 0), (10, 1), (7, 1), (100, 1)])
    func aReaderThatLeavesEarlyLeavesTheRestForTheNext(chunk: Int, async: Int) throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["partial-reads", "--chunk", "\(chunk)", "--take", "305", "--async", "\(async)"])
        #expect(run.status == 0, "\(run.standardError.suffix(1000))")
        let result = try run.json()
        #expect(result["first"] as? Int == 305, "\(result)")
        #expect(result["second"] as? Int == 695, "\(result)")
        #expect(result["missing"] as? Int == 0, "\(result)")
        #expect(result["extra"] as? Int == 0, "\(result)")
    }
}
