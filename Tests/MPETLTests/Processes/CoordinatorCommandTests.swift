import Foundation
import MPETL
import Testing

/// `mpetl-coordinator`: launch, serve and status, run as the built executable.
@Suite("mpetl-coordinator command", .serialized)
struct CoordinatorCommandTests {
    @Test func launchRunsTheProgramOnItsCoordinatorAndSummarisesEachStage() throws {
        let run = try Programs.run(
            "mpetl-coordinator", ["launch", "--progress", "plain", "--", Programs.url("nursery-rhyme").path],
            timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.lines == Expected.nurseryRhyme, "the program's output is untouched")
        let summary = run.standardError.split(separator: "\n").filter { $0.hasPrefix("summary: ") }
        #expect(summary.contains { $0.contains("pipeline #0  finished") }, "\(summary)")
        #expect(ProgressTable.counts(of: "origin 1 (String -> String)", in: summary) == [1, 4], "\(summary)")
        #expect(ProgressTable.counts(of: "task 1 (String -> String)", in: summary) == [4, 4], "\(summary)")
        #expect(ProgressTable.counts(of: "destination 1 (String -> nothing)", in: summary) == [4, 0], "\(summary)")
    }

    @Test func plainProgressPrintsPerStageCountsWhileTheProgramRuns() throws {
        let run = try Programs.run(
            "mpetl-coordinator",
            [
                "launch", "--progress", "plain", "--interval", "0.05", "--",
                Programs.url("mpetl-test-programs").path, "exactly-once", "--items", "100000",
            ], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let progress = run.standardError.split(separator: "\n").filter { $0.hasPrefix("progress: ") }
        #expect(
            progress.contains {
                ProgressTable.columns(of: "task 1 (Int -> Tagged)", in: $0)?.dropFirst(6).first == "3"
            },
            "the task's three workers are shown: \(progress.prefix(8))")
        let summary = run.standardError.split(separator: "\n").filter { $0.hasPrefix("summary: ") }
        #expect(ProgressTable.counts(of: "task 1 (Int -> Tagged)", in: summary) == [100_000, 100_000], "\(summary)")
    }

    @Test func progressShowsAnItemAWorkerHasRunForASecondOrMore() throws {
        // Item 7 never returns; its 2.5 s timeout skips it, and until then progress shows it.
        let run = try Programs.run(
            "mpetl-coordinator",
            [
                "launch", "--progress", "plain", "--interval", "0.1", "--",
                Programs.url("mpetl-test-programs").path, "stuck-item", "--timeout", "2500", "--policy", "skip",
            ], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let running = run.standardError.split(separator: "\n").filter {
            $0.contains("running ") && $0.contains("item 7 (worker pid")
        }
        #expect(!running.isEmpty, "progress names the stuck item and its worker: \(run.standardError.suffix(2000))")
    }

    @Test func theSummaryCountsTheWorkersAStageLost() throws {
        let run = try Programs.run(
            "mpetl-coordinator",
            [
                "launch", "--progress", "plain", "--", Programs.url("mpetl-test-programs").path, "poison",
            ], timeout: .seconds(60))
        let summary = run.standardError.split(separator: "\n").filter { $0.hasPrefix("summary: ") }
        // Two workers and the four restarts of a 2-process stage all took the poison item.
        #expect(
            summary.contains { $0.contains("task 1 (Int -> Int)") && $0.contains("lost 6, replayed ") }, "\(summary)")
        #expect(summary.contains { $0.contains("poison  failed") }, "\(summary)")
    }

    @Test(arguments: [("exit 7", Int32(7)), ("kill -TERM $$", Int32(128 + 15))])
    func launchExitsWithTheProgramsStatus(script: String, expected: Int32) throws {
        let run = try Programs.run(
            "mpetl-coordinator", ["launch", "--progress", "off", "--", "/bin/sh", "-c", script], timeout: .seconds(30))
        #expect(run.status == expected)
    }

    @Test func launchWithoutAProgramSaysWhatToGive() throws {
        let run = try Programs.run("mpetl-coordinator", ["launch"], timeout: .seconds(30))
        #expect(run.status == 64)
        #expect(run.standardError.contains("name the program to run after --"))
    }

    @Test func serveIsSharedByProgramsAndStatusReportsTheirPipelines() throws {
        let endpoint = "ipc://\(NSTemporaryDirectory())mpetl-serve-test-\(getpid()).sock"
        defer { try? FileManager.default.removeItem(atPath: String(endpoint.dropFirst("ipc://".count))) }
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", endpoint])
        defer {
            kill(server.pid, SIGKILL)
            _ = server.waitForExit(within: .seconds(5))
        }
        // The driver's connection waits for the coordinator to bind: no start-up race.
        let run = try Programs.run(
            "mpetl-test-programs", ["exactly-once", "--items", "1000"],
            environment: ["MPETL_COORDINATOR": endpoint])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(try run.json()["missing"] as? Int == 0)
        let status = try Programs.run("mpetl-coordinator", ["status", endpoint, "--json"], timeout: .seconds(30))
        #expect(status.status == 0, "stderr: \(status.standardError)")
        let pipelines = try JSONDecoder().decode([PipelineStats].self, from: Data(status.standardOutput.utf8))
        #expect(pipelines.count == 1)
        #expect(pipelines.first?.state == .finished)
        #expect(pipelines.first?.stages.map(\.itemsIn) == [1000, 1000, 1000])

        let table = try Programs.run("mpetl-coordinator", ["status", endpoint], timeout: .seconds(30))
        #expect(table.lines.first?.hasPrefix("pipeline #0  finished") == true, "\(table.lines)")
        #expect(ProgressTable.counts(of: "task 1 (Int -> Tagged)", in: table.lines) == [1_000, 1_000])
        kill(server.pid, SIGTERM)
        let stopped = try server.finish(within: .seconds(10))
        #expect(stopped.status == 0, "serve stops cleanly on SIGTERM")
        #expect(stopped.standardError.contains("serving on \(endpoint)"))
    }

    @Test func serveKeepsTheNewestEndedPipelinesOnly() throws {
        let endpoint = "ipc://@mpetl-serve-many-\(getpid())"
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", endpoint])
        defer { server.killAndClean() }
        let run = try Programs.run(
            "mpetl-test-programs", ["many-pipelines", "--pipelines", "70"], timeout: .seconds(300),
            environment: ["MPETL_COORDINATOR": endpoint])
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let status = try Programs.run("mpetl-coordinator", ["status", endpoint, "--json"], timeout: .seconds(30))
        let pipelines = try JSONDecoder().decode([PipelineStats].self, from: Data(status.standardOutput.utf8))
        #expect(pipelines.count == 64, "the 64 newest of 70: \(pipelines.map(\.pipeline))")
        #expect(pipelines.allSatisfy { $0.state == .finished })
        let kept = Set(pipelines.map(\.pipeline))
        #expect(kept.contains("pipeline #69") && !kept.contains("pipeline #5"), "the oldest go first: \(kept.sorted())")
        // Asked again later, an ended pipeline's elapsed time has not moved.
        let again = try Programs.run("mpetl-coordinator", ["status", endpoint, "--json"], timeout: .seconds(30))
        let later = try JSONDecoder().decode([PipelineStats].self, from: Data(again.standardOutput.utf8))
        #expect(later.map(\.elapsedSeconds) == pipelines.map(\.elapsedSeconds))
    }

    @Test(arguments: ["outbox", "outbox-from-driver"])
    func oneProgramSendsIntoANamedPipelineAnotherProgramRuns(sender scenario: String) throws {
        let endpoint = "ipc://\(NSTemporaryDirectory())mpetl-shared-\(getpid()).sock"
        defer { try? FileManager.default.removeItem(atPath: String(endpoint.dropFirst("ipc://".count))) }
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", endpoint])
        defer { kill(server.pid, SIGKILL) }
        let environment = ["MPETL_COORDINATOR": endpoint]
        let receiver = try Programs.launch(
            "mpetl-test-programs", ["inbox", "--items", "5000"], environment: environment)
        defer { kill(receiver.pid, SIGKILL) }
        #expect(waitUntil(timeout: .seconds(30)) { receiver.outputSoFar.contains("inbox ready") })
        let sender = try Programs.run(
            "mpetl-test-programs", [scenario, "--items", "5000"], timeout: .seconds(60), environment: environment)
        #expect(sender.status == 0, "stderr: \(sender.standardError)")
        let received = try receiver.finish(within: .seconds(60))
        #expect(received.status == 0, "stderr: \(received.standardError)")
        let result = try received.json()
        #expect(result["count"] as? Int == 5_000, "\(result)")
        #expect(result["missing"] as? Int == 0)
        #expect(result["extra"] as? Int == 0)
    }

    @Test func aDriverWhoseCoordinatorDiesFailsAtOnceAndLeavesNoProcess() throws {
        let endpoint = "ipc://@mpetl-dying-\(getpid())"
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", endpoint])
        defer { kill(server.pid, SIGKILL) }
        let driver = try Programs.launch(
            "mpetl-test-programs", ["interruptible"], environment: ["MPETL_COORDINATOR": endpoint])
        defer { kill(driver.pid, SIGKILL) }
        let running = waitUntil(timeout: .seconds(30)) { driver.outputSoFar.contains("first item done") }
        #expect(running)
        let workers = ProcessTable.children(of: driver.pid)
        let killed = ContinuousClock.now
        kill(server.pid, SIGKILL)
        // On this host the coordinator's death is a kernel fact (a pidfd), not a timeout.
        let run = try driver.finish(within: .seconds(10))
        let noticed = ContinuousClock.now - killed
        #expect(run.status == 1)
        let result = try run.json()
        #expect(result["code"] as? String == "transport failed", "\(result)")
        #expect((result["error"] as? String ?? "").contains("(pid \(server.pid)) exited"), "\(result)")
        #expect(noticed < .seconds(5), "noticed after \(noticed)")
        #expect(
            waitUntil(timeout: .seconds(2)) { workers.allSatisfy { !ProcessTable.isAlive($0) } },
            "the driver's workers are gone too")
    }

    @Test func statusOfNothingSaysWhatIsMissing() throws {
        let run = try Programs.run(
            "mpetl-coordinator", ["status", "ipc:///nonexistent/mpetl.sock", "--timeout", "0.3"], timeout: .seconds(30))
        #expect(run.status != 0)
        #expect(run.standardError.contains("no coordinator answered at ipc:///nonexistent/mpetl.sock"))
    }
}

extension CoordinatorCommandTests {
    @Test(arguments: [
        ["serve", "--listen", "ipc://@x", "--heartbeat-timeout", "1e300"],
        ["launch", "--heartbeat-timeout", "0", "--", "/bin/true"],
        ["worker", "--connect", "tcp://127.0.0.1:1", "--coordinator-timeout=-1", "--", "/bin/true"],
    ])
    func timeoutsOutOfRangeAreRefusedSayingWhatTheyTake(arguments: [String]) throws {
        let run = try Programs.run("mpetl-coordinator", arguments, timeout: .seconds(30))
        #expect(run.status == 64, "\(run.standardError)")
        #expect(
            run.standardError.contains("takes a number of seconds above 0 and at most 1000000000"),
            "\(run.standardError)")
    }
}

extension CoordinatorCommandTests {
    @Test func serveStopsCleanlyOnASigtermSentTheMomentItServes() throws {
        let server = try Programs.launch(
            "mpetl-coordinator", ["serve", "--listen", "ipc://@mpetl-quick-stop-\(getpid())"])
        defer { server.killAndClean() }
        #expect(waitUntil(timeout: .seconds(30)) { server.errorSoFar.contains("serving on") })
        kill(server.pid, SIGTERM)
        let stopped = try server.finish(within: .seconds(10))
        #expect(stopped.reason == .exit && stopped.status == 0, "a stop signal is taken, not fatal: \(stopped.status)")
    }
}

extension CoordinatorCommandTests {
    @Test(arguments: [
        (["serve", "--listen", "inproc://x"], "inproc:// reaches only sockets of the same process"),
        (["worker", "--connect", "tcp://127.0.0.1:*", "--", "/bin/true"], "not * or 0"),
        (["worker", "--connect", "tcp://*:5603", "--", "/bin/true"], "not the wildcard *"),
        (["status", "garbage"], "expected TRANSPORT://ADDRESS"),
        (["status", "tcp://127.0.0.1:0"], "not * or 0"),
    ])
    func endpointsThatCannotWorkForTheirUseAreRefusedUpFront(arguments: [String], problem: String) throws {
        let run = try Programs.run("mpetl-coordinator", arguments, timeout: .seconds(30))
        #expect(run.status == 64, "\(run.standardError)")
        #expect(run.standardError.contains(problem), "\(run.standardError)")
    }

    @Test func aProgramGivenAWildcardCoordinatorIsToldWhatToGive() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["exactly-once", "--items", "10"], timeout: .seconds(30),
            environment: ["MPETL_COORDINATOR": "tcp://127.0.0.1:*"])
        #expect(run.status == 1)
        #expect(
            (try run.json()["error"] as? String ?? "").contains("MPETL_COORDINATOR is not an endpoint"),
            "\(run.standardError)")
    }

    @Test func serveOnAPortTheKernelChoosesSaysWhichPort() throws {
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", "tcp://127.0.0.1:*"])
        defer { server.killAndClean() }
        #expect(waitUntil(timeout: .seconds(30)) { server.errorSoFar.contains("serving on") })
        kill(server.pid, SIGTERM)
        let stopped = try server.finish(within: .seconds(10))
        let line = stopped.standardError.split(separator: "\n").first { $0.contains("serving on") } ?? ""
        #expect(line.contains("tcp://127.0.0.1:") && !line.contains(":*"), "\(line)")
    }
}

/// Reads the progress table's stage rows: `  NAME  ITEMS  OUT  [RATE]  BUSY  QUEUE  ERRORS  WORKERS …`.
enum ProgressTable {
    /// The row's columns after the stage's name, for the last line naming `stage`.
    static func columns(of stage: String, in line: some StringProtocol) -> [String]? {
        guard let range = line.range(of: "  \(stage) ") else { return nil }
        return String(line[range.upperBound...]).split(separator: " ").map(String.init)
    }

    /// Items and items out of `stage`, from the last line that names it.
    static func counts(of stage: String, in lines: [some StringProtocol]) -> [Int]? {
        for line in lines.reversed() {
            if let columns = columns(of: stage, in: line), columns.count >= 2 {
                return columns.prefix(2).compactMap { Int($0.replacingOccurrences(of: ",", with: "")) }
            }
        }
        return nil
    }
}
