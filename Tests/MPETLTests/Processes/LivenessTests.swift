import Foundation
import Testing

/// A slow machine is not a failure, a dead peer never hangs a run, nothing is orphaned: runs
/// beside busy loops, with paused drivers, workers and whole programs, and with the
/// coordinator or `launch` killed.
@Suite("Liveness", .serialized)
struct LivenessTests {
    /// Expects an exact result with no worker declared lost.
    static func expectExactWithNoLoss(_ run: ProgramRun, items: Int, round: Int) throws {
        #expect(run.status == 0, "round \(round): \(run.standardError.suffix(2000))")
        let result = try run.json()
        #expect(result["missing"] as? Int == 0, "round \(round): \(result)")
        #expect(result["extra"] as? Int == 0, "round \(round): \(result)")
        #expect(result["count"] as? Int == items, "round \(round): \(result)")
        if let lost = result["workersLost"] as? Int { #expect(lost == 0, "round \(round): slow is not lost") }
        #expect(!run.standardError.contains("stopped answering"), "round \(round): \(run.standardError.suffix(2000))")
        #expect(!run.standardError.contains("replacement"), "round \(round): no worker replaced")
    }

    /// `launch` running the interruptible program, once its first item is done.
    static func launchInterruptible() throws -> RunningProgram {
        let launch = try Programs.launch(
            "mpetl-coordinator",
            [
                "launch", "--progress", "off", "--",
                Programs.url("mpetl-test-programs").path, "interruptible",
            ])
        #expect(waitUntil(timeout: .seconds(60)) { launch.outputSoFar.contains("first item done") })
        return launch
    }

    @Test func aSaturatedMachineFailsNoRun() throws {
        let loops = try BusyLoops(6)
        defer { loops.stop() }
        for round in 0..<20 {
            let run = try Programs.run(
                "mpetl-test-programs", ["named-fan-in", "--items", "5000"], timeout: .seconds(180))
            try Self.expectExactWithNoLoss(run, items: 10_000, round: round)
        }
        let wide = try Programs.run("mpetl-test-programs", ["wide"], timeout: .seconds(300))
        try Self.expectExactWithNoLoss(wide, items: 100, round: 0)
    }

    @Test(arguments: ["paused", "named-fan-in"])
    func aDriverPausedForThreeSecondsIsSlowNotLost(scenario: String) throws {
        // Each run lasts 2 s or more when nothing pauses it.
        let items = scenario == "paused" ? 100_000 : 2 * 150_000
        for round in 0..<10 {
            let driver = try Programs.launch(
                "mpetl-test-programs", [scenario, "--items", "\(scenario == "paused" ? items : items / 2)"])
            defer { driver.killAndClean() }
            // Half a second into the run: the stimulus, not a wait for something.
            #expect(!driver.waitForExit(within: .milliseconds(500)), "round \(round): the run ended before the pause")
            kill(driver.pid, SIGSTOP)
            _ = driver.waitForExit(within: .seconds(3))
            kill(driver.pid, SIGCONT)
            try Self.expectExactWithNoLoss(try driver.finish(within: .seconds(120)), items: items, round: round)
        }
    }

    @Test func theWholeProgramSuspendedAndResumedFinishesExactly() throws {
        for round in 0..<10 {
            let driver = try Programs.launch("mpetl-test-programs", ["suspended"])
            defer { driver.killAndClean() }
            #expect(waitUntil(timeout: .seconds(60)) { driver.outputSoFar.contains("started") })
            // Ctrl-Z: the driver and its workers, which share its process group, all stop.
            kill(-driver.pid, SIGSTOP)
            _ = driver.waitForExit(within: .seconds(4))
            kill(-driver.pid, SIGCONT)
            try Self.expectExactWithNoLoss(try driver.finish(within: .seconds(120)), items: 300, round: round)
        }
    }

    @Test func aWorkerPausedLongerThanTheHeartbeatTimeoutIsNeitherLostNorDoubled() throws {
        // A 1 s timeout, paused 3 s: a silence limit would have replaced it; the kernel says it lives.
        let driver = try Programs.launch(
            "mpetl-test-programs", ["exactly-once", "--items", "20000", "--work-us", "200", "--processes", "2"],
            environment: ["MPETL_HEARTBEAT_TIMEOUT": "1"])
        defer { driver.killAndClean() }
        var paused: Int32?
        #expect(
            waitUntil(timeout: .seconds(60)) {
                paused = KilledWorkerTests.workers(of: driver.pid)[1]?.first
                return paused != nil
            })
        let victim = try #require(paused)
        kill(victim, SIGSTOP)
        _ = driver.waitForExit(within: .seconds(3))
        let workersDuringPause = KilledWorkerTests.workers(of: driver.pid)[1] ?? []
        kill(victim, SIGCONT)
        let run = try driver.finish(within: .seconds(120))
        #expect(run.status == 0, "\(run.standardError.suffix(2000))")
        let result = try run.json()
        #expect(result["missing"] as? Int == 0, "\(result)")
        #expect(result["duplicated"] as? Int == 0, "\(result)")
        #expect(workersDuringPause.count == 2, "no replacement started beside the paused worker: \(workersDuringPause)")
        #expect(
            (result["perPid"] as? [Int] ?? []).count == 2, "the task's items came from its two workers only: \(result)")
    }

    @Test func aKilledLocalWorkerIsKnownWithinATenthOfASecondOnASaturatedMachine() throws {
        let loops = try BusyLoops(6)
        defer { loops.stop() }
        let driver = try Programs.launch("mpetl-test-programs", ["slow-forever"])
        defer { driver.killAndClean() }
        #expect(waitUntil(timeout: .seconds(60)) { driver.outputSoFar.contains("started") })
        var victim: Int32?
        #expect(
            waitUntil(timeout: .seconds(60)) {
                victim = KilledWorkerTests.workers(of: driver.pid)[0]?.first
                return victim != nil
            })
        let pid = try #require(victim)
        let killed = ContinuousClock.now
        kill(pid, SIGKILL)
        // The coordinator logs the loss the moment the kernel reports the exit.
        let known = waitUntil(timeout: .seconds(10)) { driver.errorSoFar.contains("(pid \(pid) on") }
        let detection = ContinuousClock.now - killed
        #expect(known, "\(driver.outputSoFar) \(driver.errorSoFar.suffix(1000))")
        #expect(detection < .milliseconds(100), "known after \(detection)")
        print("liveness: local worker kill known after \(detection) beside 6 busy loops")
    }

    @Test(arguments: [SIGINT, SIGKILL])
    func launchOwnsItsProgram(signal: Int32) throws {
        let launch = try LivenessTests.launchInterruptible()
        defer { launch.killAndClean() }
        let program = try #require(ProcessTable.children(of: launch.pid).first)
        let everyone = [program] + ProcessTable.children(of: program)
        #expect(everyone.count == 4, "the program and its 3 workers: \(everyone)")
        // Ctrl-C reaches the terminal's foreground process group: launch's own.
        kill(signal == SIGINT ? -launch.pid : launch.pid, signal)
        let exited = launch.waitForExit(within: .seconds(10))
        #expect(exited)
        #expect(
            waitUntil(timeout: .seconds(3)) { everyone.allSatisfy { !ProcessTable.isAlive($0) } },
            "no process of the program is left: \(everyone.filter(ProcessTable.isAlive))")
        if signal == SIGINT {
            let run = try launch.finish(within: .seconds(10))
            #expect(run.status == 130, "\(run.standardError.suffix(1000))")
            #expect(
                run.lines.filter { $0.hasPrefix("teardown pid=") }.count == 2,
                "each task worker tore down: \(run.lines.suffix(5))")
        }
    }
}

/// Stop signals reach the driver however early or often they come, and a coordinator that
/// has not answered yet is judged by whether its socket still listens.
@Suite("Liveness: signals and start-up", .serialized)
struct LivenessStartTests {
    @Test func aStopSignalRightAtStartIsNotLost() throws {
        // A launcher pid that is not this program's parent: it stops itself (SIGTERM) at once.
        let run = try Programs.run(
            "mpetl-test-programs", ["interruptible"], timeout: .seconds(30),
            environment: ["MPETL_LAUNCHER_PID": "1"])
        #expect(
            run.reason == .uncaughtSignal && run.status == SIGTERM,
            "status \(run.status): \(run.standardError.suffix(500))")
    }

    @Test func aHangupSentTwiceStillLetsEveryWorkerTearDown() throws {
        let driver = try Programs.launch("mpetl-test-programs", ["interruptible"])
        defer { driver.killAndClean() }
        #expect(waitUntil(timeout: .seconds(60)) { driver.outputSoFar.contains("first item done") })
        // A closed terminal: the kernel and the shell each send SIGHUP.
        kill(driver.pid, SIGHUP)
        kill(driver.pid, SIGHUP)
        let run = try driver.finish(within: .seconds(20))
        #expect(run.reason == .uncaughtSignal && run.status == SIGHUP, "status \(run.status)")
        #expect(run.lines.filter { $0.hasPrefix("teardown pid=") }.count == 2, "\(run.lines.suffix(5))")
    }

    @Test func launchPassesOnARepeatedHangupOnce() throws {
        let launch = try LivenessTests.launchInterruptible()
        defer { launch.killAndClean() }
        kill(launch.pid, SIGHUP)
        kill(launch.pid, SIGHUP)
        let run = try launch.finish(within: .seconds(20))
        #expect(run.status == 129, "\(run.standardError.suffix(500))")
        #expect(run.lines.filter { $0.hasPrefix("teardown pid=") }.count == 2, "\(run.lines.suffix(5))")
    }

    @Test func ctrlCPressedTwiceUnderLaunchEndsEverythingAtOnceWithStatus130() throws {
        let launch = try LivenessTests.launchInterruptible()
        defer { launch.killAndClean() }
        let program = try #require(ProcessTable.children(of: launch.pid).first)
        let everyone = [program] + ProcessTable.children(of: program)
        kill(launch.pid, SIGINT)
        kill(launch.pid, SIGINT)
        let run = try launch.finish(within: .seconds(10))
        #expect(run.status == 130, "\(run.standardError.suffix(500))")
        #expect(waitUntil(timeout: .seconds(3)) { everyone.allSatisfy { !ProcessTable.isAlive($0) } })
    }

    @Test func aCoordinatorThatDiesBeforeItAnswersIsNoticedAtOnce() throws {
        let endpoint = "ipc://@mpetl-silent-\(getpid())"
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", endpoint])
        defer { server.killAndClean() }
        #expect(waitUntil(timeout: .seconds(30)) { server.errorSoFar.contains("serving on") })
        kill(server.pid, SIGSTOP)  // alive and listening, but answering nobody
        let driver = try Programs.launch(
            "mpetl-test-programs", ["interruptible"],
            environment: ["MPETL_COORDINATOR": endpoint, "MPETL_COORDINATOR_TIMEOUT": "60"])
        defer { driver.killAndClean() }
        // Long enough for the driver to have seen the socket listen (it looks every 0.5 s).
        #expect(!driver.waitForExit(within: .seconds(3)), "a stopped coordinator is waited for, not timed out")
        let killed = ContinuousClock.now
        kill(server.pid, SIGKILL)
        let run = try driver.finish(within: .seconds(30))
        #expect(ContinuousClock.now - killed < .seconds(5), "noticed by its socket closing, not after the 60 s limit")
        let result = try run.json()
        #expect(result["code"] as? String == "transport failed", "\(result)")
        #expect((result["error"] as? String ?? "").contains("stopped listening before it answered"), "\(result)")
    }

    @Test func workersThatNeverReachStartFailItAfterTheSettableLimit() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["stuck-before-start"], timeout: .seconds(60),
            environment: ["MPETL_START_TIMEOUT": "2"])
        #expect(run.status == 1)
        let result = try run.json()
        #expect(result["code"] as? String == "start failed", "\(result)")
        #expect((result["error"] as? String ?? "").contains("did not start within 2.0 seconds"), "\(result)")
        #expect((result["error"] as? String ?? "").contains("MPETL_START_TIMEOUT"), "\(result)")
    }

    @Test func aCoordinatorPausedPastTheTimeoutIsWaitedFor() throws {
        let endpoint = "ipc://@mpetl-paused-\(getpid())"
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", endpoint])
        defer { server.killAndClean() }
        #expect(waitUntil(timeout: .seconds(30)) { server.errorSoFar.contains("serving on") })
        kill(server.pid, SIGSTOP)
        let driver = try Programs.launch(
            "mpetl-test-programs", ["exactly-once", "--items", "1000"],
            environment: ["MPETL_COORDINATOR": endpoint, "MPETL_COORDINATOR_TIMEOUT": "1"])
        defer { driver.killAndClean() }
        // Paused three times the timeout: its socket still listens, so it is alive.
        _ = driver.waitForExit(within: .seconds(3))
        kill(server.pid, SIGCONT)
        let run = try driver.finish(within: .seconds(60))
        #expect(run.status == 0, "\(run.standardOutput) \(run.standardError.suffix(500))")
        #expect(try run.json()["missing"] as? Int == 0)
    }
}
