import Foundation
import Testing

@testable import MPETL

/// An item whose body never returns: it holds only its worker's window, `stats()` names it, and
/// a stage `timeout:` ends it under the stage's error policy. Real workers, really stuck.
@Suite("Stuck items", .serialized)
struct StuckItemTests {
    @Test func aStuckItemHoldsOnlyItsWorkersWindowAndStatsNameIt() throws {
        let run = try Programs.run("mpetl-test-programs", ["stuck-item", "--items", "200"], timeout: .seconds(90))
        let result = try run.json()
        #expect(result["item"] as? String == "7", "the stuck item is named: \(result)")
        #expect((result["seconds"] as? Double ?? 0) >= 1, "\(result)")
        #expect((result["pid"] as? Int ?? 0) > 0)
        // Round-robin into deep queues parked about half the items behind it; by demand, the
        // stuck worker holds only its window (about 10 ms of 2 ms items) and the other takes the rest.
        #expect((result["finished"] as? Int ?? 0) >= 185, "\(result)")
        #expect(
            (result["queueDepth"] as? Int ?? 0) >= 1, "what waits behind the stuck item is counted, in items: \(result)"
        )
    }

    @Test func beside4BusyLoopsTheStuckItemStillHoldsOnlyItsWindow() throws {
        let loops = try BusyLoops(4)
        defer { loops.stop() }
        let run = try Programs.run("mpetl-test-programs", ["stuck-item", "--items", "200"], timeout: .seconds(120))
        let result = try run.json()
        #expect(result["item"] as? String == "7", "\(result)")
        #expect((result["finished"] as? Int ?? 0) >= 180, "\(result)")
    }

    @Test func underSkipAnItemPastTheTimeoutIsSkippedAndEverythingElseArrives() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["stuck-item", "--timeout", "500", "--policy", "skip"], timeout: .seconds(90))
        let result = try run.json()
        #expect(result["joined"] as? Bool == true, "\(result)")
        #expect(result["missing"] as? Int == 0 && result["extra"] as? Int == 0, "\(result)")
        #expect(result["skipped"] as? [String] == ["7"], "\(result)")
        #expect((result["skippedErrors"] as? [String])?.first?.contains("timed out") == true, "\(result)")
        #expect(result["workersLost"] as? Int == 1, "the stuck worker was ended and replaced: \(result)")
    }

    @Test(arguments: ["fail", "retry"])
    func otherwiseAnItemPastTheTimeoutFailsTheRunNamingIt(policy: String) throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["stuck-item", "--timeout", "300", "--policy", policy], timeout: .seconds(90))
        let result = try run.json()
        #expect(result["code"] as? String == "timed out", "\(result)")
        #expect(result["item"] as? String == "7", "\(result)")
        #expect((result["error"] as? String ?? "").contains("past the stage's timeout"), "\(result)")
        if policy == "retry" {
            #expect(
                (result["error"] as? String ?? "").contains("timed out 2 times"),
                "retry(1) tried it once more: \(result)")
        }
    }
}

extension StuckItemTests {
    @Test func aWorkerPausedPastTheTimeoutIsNotTimedOut() throws {
        // 20 items of 200 ms under a 1 s timeout: a worker stopped for 2.5 s mid-item is slow,
        // not stuck; only time it ran counts.
        let program = try Programs.launch(
            "mpetl-test-programs",
            [
                "stuck-item", "--stuck", "-1", "--items", "20", "--sleep-ms", "200",
                "--timeout", "1000", "--policy", "fail",
            ])
        defer { kill(program.pid, SIGKILL) }
        #expect(
            waitUntil(timeout: .seconds(30)) {
                ProcessTable.children(of: program.pid).count >= 2 && program.outputSoFar.contains("started")
            })
        let worker = try #require(ProcessTable.children(of: program.pid).first)
        kill(worker, SIGSTOP)
        // The pause is the quantity under test: 2.5 s, well past the 1 s timeout.
        let stoppedAt = ContinuousClock.now
        while ContinuousClock.now - stoppedAt < .milliseconds(2500) {
            #expect(kill(worker, 0) == 0, "the paused worker is never ended for its timeout")
            _ = poll(nil, 0, 100)
        }
        kill(worker, SIGCONT)
        let finished = try program.finish(within: .seconds(60))
        let result = try finished.json()
        #expect(result["joined"] as? Bool == true, "\(result)")
        #expect(result["missing"] as? Int == 0 && result["extra"] as? Int == 0, "\(result)")
        #expect(result["workersLost"] as? Int == 0, "\(result)")
    }
}

extension StuckItemTests {
    @Test func aWholeProgramStoppedJustAsAnItemStartsIsNotTimedOut() throws {
        // The body stops the program's whole group (driver, its agent, the workers) as item 10
        // starts, as a Ctrl-Z would: the agent has not seen the item yet, and must not charge
        // it the pause when it looks again.
        let program = try Programs.launch(
            "mpetl-test-programs",
            [
                "stuck-item", "--stuck", "-1", "--items", "20", "--sleep-ms", "200",
                "--timeout", "1000", "--policy", "fail", "--stop-group-at", "10",
            ])
        defer { kill(program.pid, SIGKILL) }
        #expect(
            waitUntil(timeout: .seconds(60)) { Syscalls.isStopped(program.pid) }, "the group stops itself at item 10")
        // The pause is the quantity under test: 2.5 s, well past the 1 s timeout.
        let stoppedAt = ContinuousClock.now
        while ContinuousClock.now - stoppedAt < .milliseconds(2500) { _ = poll(nil, 0, 100) }
        kill(-program.pid, SIGCONT)
        let finished = try program.finish(within: .seconds(60))
        let result = try finished.json()
        #expect(result["joined"] as? Bool == true, "\(result)")
        #expect(result["missing"] as? Int == 0 && result["extra"] as? Int == 0, "\(result)")
        #expect(result["workersLost"] as? Int == 0, "\(result)")
    }
}
