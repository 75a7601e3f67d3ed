import Foundation
import Testing

/// Workers killed mid-stream: their unacknowledged batches are replayed to their siblings, a
/// replacement starts, and the results are exactly what was fed; a stage that keeps dying
/// fails once its restarts are used up.
@Suite("Killed workers", .serialized)
struct KilledWorkerTests {
    /// The running workers of a driver's pipeline, by stage, from their socket names
    /// (`p<pipeline>-s<stage>-w<worker>-<pid>.sock` under the driver's run prefix).
    static func workers(of driver: Int32, pipeline: Int = 0) -> [Int: [Int32]] {
        let children = Set(ProcessTable.children(of: driver))
        var byStage: [Int: [Int32]] = [:]
        for (file, _) in RunSockets.listening(of: driver) where file.hasPrefix("p\(pipeline)-s") {
            let fields = file.dropLast(".sock".count).split(separator: "-")
            guard fields.count == 4, let stage = Int(fields[1].dropFirst()), let pid = Int32(fields[3]),
                children.contains(pid), ProcessTable.isAlive(pid)
            else { continue }
            byStage[stage, default: []].append(pid)
        }
        return byStage
    }

    /// Runs `mpetl-test-programs` with `arguments` until it prints "started", then `kills`
    /// times waits `pause` and SIGKILLs the worker `victim` picks (given the kill's number and
    /// the driver's pid; nil when there is none, which means the run ended too soon). Expects
    /// the run to outlast the kills and to exit 0; returns it and the pids killed.
    static func run(
        _ arguments: [String], kills: Int, every pause: Duration,
        victim: (_ kill: Int, _ driver: Int32) -> Int32?
    ) throws -> (run: ProgramRun, killed: [Int32]) {
        let driver = try Programs.launch("mpetl-test-programs", arguments)
        defer { driver.killAndClean() }
        #expect(waitUntil(timeout: .seconds(30)) { driver.outputSoFar.contains("started") })
        var killed: [Int32] = []
        for number in 0..<kills {
            _ = driver.waitForExit(within: pause)
            guard let pid = victim(number, driver.pid) else {
                Issue.record("no worker to kill after \(killed.count) kills: the run ended too soon")
                break
            }
            kill(pid, SIGKILL)
            killed.append(pid)
        }
        #expect(!driver.waitForExit(within: .zero), "the run was still going after the last kill")
        let run = try driver.finish(within: .seconds(120))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(3000))")
        return (run, killed)
    }

    @Test func fiveRandomKillsDuringA200000ItemRunLoseAndDuplicateNothing() throws {
        // Spread over the run: a kill every 0.6 s, each at a worker of a random stage.
        let (run, killed) = try Self.run(["chaos", "--items", "200000"], kills: 5, every: .milliseconds(600)) {
            _, driver in
            let byStage = Self.workers(of: driver)
            return byStage.keys.filter { !(byStage[$0] ?? []).isEmpty }.randomElement().flatMap {
                byStage[$0]?.randomElement()
            }
        }
        let result = try run.json()
        #expect(result["missing"] as? Int == 0, "\(result); killed \(killed)")
        #expect(result["extra"] as? Int == 0, "no copies: \(result); killed \(killed)")
        #expect(result["count"] as? Int == 300_000, "\(result)")
        #expect(result["workersLost"] as? Int == killed.count, "stats count every loss: \(result)")
        for pid in killed {
            #expect(
                run.standardError.contains("(pid \(pid) on"),
                "the loss of \(pid) is logged: \(run.standardError.suffix(3000))")
        }
        let losses = run.standardError.split(separator: "\n").filter {
            $0.contains("its unacknowledged batches") && $0.contains("replacement")
        }
        #expect(losses.count == killed.count, "one loss, and one replacement, per kill: \(losses)")
    }

    @Test func aStageThatKillsEveryWorkerFailsTheJoinOnceItsRestartsAreUsedUp() throws {
        let run = try Programs.run("mpetl-test-programs", ["poison", "--poison", "500"], timeout: .seconds(90))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["code"] as? String == "worker died", "\(result)")
        #expect(result["pipeline"] as? String == "poison")
        #expect(result["stage"] as? String == "task 1 (Int -> Int)")
        #expect((result["error"] as? String ?? "").contains("restarts are used up"), "\(result)")
        #expect((result["error"] as? String ?? "").contains("killed by signal 9"), "\(result)")
        // SIGKILL makes no item poison (a person or the OOM killer sends it), but once the
        // restarts are used up the error still names the item every lost worker was running.
        #expect(result["item"] as? String == "500", "\(result)")
        #expect(result["workersKilled"] as? Int == 6, "two workers and four restarts: \(result)")
        #expect((result["error"] as? String ?? "").contains("OOM killer"), "\(result)")
        #expect((result["seconds"] as? Double ?? 99) < 30, "join returned within seconds")
    }
}

extension KilledWorkerTests {
    @Test func killingAWorkerOfEachStageInTurnLosesNothingAndSkipsEachItemOnce() throws {
        // Stage 0, then 1, then 2.
        let (run, killed) = try Self.run(
            ["chaos", "--items", "100000", "--skip-every", "997"], kills: 3,
            every: .milliseconds(500)
        ) { stage, driver in Self.workers(of: driver)[stage]?.first }
        let result = try run.json()
        let skipped = (0..<100_000).filter { $0 % 997 == 0 }.count
        #expect(result["missing"] as? Int == 0, "\(result); killed \(killed)")
        #expect(result["extra"] as? Int == 0, "\(result); killed \(killed)")
        #expect(result["skippedCount"] as? Int == skipped, "each skipped item reported once: \(result)")
        #expect(result["skippedDistinct"] as? Int == skipped)
    }
}

extension KilledWorkerTests {
    @Test func killingSendersAndReceiversOfPipelineSendLosesAndDuplicatesNothing() throws {
        // Sender, receiver, sender, receiver: pipeline 0 sends to pipeline 1.
        let (run, killed) = try Self.run(["named-chaos", "--items", "100000"], kills: 4, every: .milliseconds(500)) {
            kill, driver in
            Self.workers(of: driver, pipeline: kill % 2)[0]?.randomElement()
        }
        let result = try run.json()
        #expect(result["missing"] as? Int == 0, "\(result); killed \(killed)")
        #expect(result["extra"] as? Int == 0, "\(result); killed \(killed)")
        #expect(result["count"] as? Int == 100_000, "\(result)")
        #expect(result["workersLost"] as? Int == killed.count, "\(result)")
    }
}

extension KilledWorkerTests {
    /// Runs the buffered-writes scenario, kills one destination worker mid-run, returns how
    /// many fed values no file holds.
    func missingAfterKillingABufferingDestination(_ arguments: [String]) throws -> Int? {
        let (run, killed) = try Self.run(
            ["buffered-writes", "--items", "60000"] + arguments, kills: 1,
            every: .milliseconds(800)
        ) { _, driver in Self.workers(of: driver)[1]?.first }
        guard killed.count == 1 else { return nil }
        return try run.json()["missing"] as? Int
    }

    @Test func aCommittingDestinationLosesNothingWhenItsWorkerIsKilled() throws {
        #expect(try missingAfterKillingABufferingDestination([]) == 0)
    }

    @Test func aDestinationThatHoldsWritesBackWithoutCommittingLosesThemWithItsWorker() throws {
        let missing = try missingAfterKillingABufferingDestination(["--no-commit"])
        #expect((missing ?? 0) > 0, "the test above proves something only if this loses items")
    }
}

extension KilledWorkerTests {
    /// A 200,000-item chaos run with a worker of each of `stages` killed, 0.7 s apart: its
    /// result, once it is checked to be exact with nothing left queued.
    static func runKilling(workersOf stages: [Int], deep: Bool = false) throws -> [String: Any] {
        let (run, killed) = try Self.run(
            ["chaos", "--items", "200000"] + (deep ? ["--deep"] : []), kills: stages.count, every: .milliseconds(700)
        ) {
            kill, driver in Self.workers(of: driver)[stages[kill]]?.randomElement()
        }
        let result = try run.json()
        #expect(killed.count == stages.count)
        #expect(result["missing"] as? Int == 0 && result["extra"] as? Int == 0, "\(result)")
        #expect(
            result["queues"] as? [Int] == Array(repeating: 0, count: deep ? 4 : 3),
            "nothing left queued once finished: \(result)")
        return result
    }

    /// Every stage of the chaos run counted each item once: 1.5 items out per item into the
    /// task, and a relay passing each on when `deep`.
    static func expectEveryStageExact(_ result: [String: Any], deep: Bool = false) {
        let relay = deep ? [300_000] : []
        #expect(result["itemsIn"] as? [Int] == [200_000, 200_000, 300_000] + relay, "exact per stage: \(result)")
        #expect(result["itemsOut"] as? [Int] == [200_000, 300_000] + relay + [300_000], "exact per stage: \(result)")
    }

    @Test func aFinishedStageCountsEachItemOnceAndItsReplaysApartAfterLosingWorkers() throws {
        // Two workers of the last stage killed: what they had run and not acknowledged is run
        // again by the others, and counted as replayed, not as more items.
        let result = try Self.runKilling(workersOf: [2, 2])
        #expect(result["itemsIn"] as? [Int] == [200_000, 200_000, 300_000], "exact per stage: \(result)")
        #expect(((result["replayed"] as? [Int])?.last ?? 0) > 0, "the killed workers' unfinished work: \(result)")
    }

    @Test func afterTaskWorkersAreLostEveryStageIsExact() throws {
        // Two task workers killed: their unfinished work runs again and is counted apart; the
        // destination had run some of their outputs, whose copies the replay leaves out.
        let result = try Self.runKilling(workersOf: [1, 1])
        Self.expectEveryStageExact(result)
        let replayed = result["replayed"] as? [Int] ?? []
        #expect(replayed.count == 3 && replayed[1] > 0, "the killed workers' unfinished work: \(result)")
    }

    @Test(arguments: [[1, 2], [2, 1]])
    func workersLostInTwoStagesInARowLeaveEveryFigureExact(stages: [Int]) throws {
        // The destination both lost a worker and ran copies of the lost task worker's outputs.
        Self.expectEveryStageExact(try Self.runKilling(workersOf: stages))
    }

    @Test func afterOriginWorkersAreLostEveryStageIsExact() throws {
        // Two origin workers killed: the task had run some of their outputs; their copies are
        // left out of the replay, so neither the task nor the destination runs anything twice.
        let result = try Self.runKilling(workersOf: [0, 0])
        Self.expectEveryStageExact(result)
        let replayed = result["replayed"] as? [Int] ?? []
        #expect(replayed.count == 3 && replayed[0] > 0, "the killed workers' unfinished work: \(result)")
        #expect(replayed.dropFirst().allSatisfy { $0 == 0 }, "no copy ran after the origin: \(result)")
    }

    @Test(arguments: [[0, 0], [1, 1], [0, 2]])
    func inAFourStagePipelineEveryStageAfterALossIsExact(stages: [Int]) throws {
        // A relay task between the task and the destination: a loss's copies are left out, so
        // stages two and three after it count each item once.
        Self.expectEveryStageExact(try Self.runKilling(workersOf: stages, deep: true), deep: true)
    }
}
