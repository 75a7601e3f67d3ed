import Foundation
import Testing

/// Async stage bodies through real worker processes: every shape, many items in flight per
/// worker finishing in any order, a worker killed with its items in flight, and async setup
/// and teardown.
@Suite("Async stages", .serialized)
struct AsyncStageTests {
    @Test func everyAsyncShapeOfEveryKindPassesOnWhatItShould() throws {
        let run = try Programs.run("mpetl-test-programs", ["async-shapes", "--items", "300"], timeout: .seconds(180))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let outcomes = try #require(try run.json()["outcomes"] as? [String: String])
        #expect(outcomes.count == 24, "3 kinds × 4 shapes × with and without state: \(outcomes.keys.sorted())")
        #expect(outcomes.filter { $0.value != "ok" }.isEmpty, "\(outcomes)")
    }

    @Test func asyncSetupAndTeardownRunOncePerProcessWithTheSameState() throws {
        let run = try Programs.run("mpetl-test-programs", ["async-shapes", "--items", "300"], timeout: .seconds(180))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        func fields(_ line: String) -> [String: String] {
            Dictionary(
                line.split(separator: " ").dropFirst(2).compactMap {
                    let pair = $0.split(separator: "=", maxSplits: 1)
                    return pair.count == 2 ? (String(pair[0]), String(pair[1])) : nil
                }, uniquingKeysWith: { $1 })
        }
        let setups = run.lines.filter { $0.hasPrefix("async-setup ") }
        let teardowns = run.lines.filter { $0.hasPrefix("async-teardown ") }
        // 12 stateful stages of 2 processes each.
        #expect(setups.count == 24, "\(setups)")
        #expect(Set(setups.map { fields($0)["pid"] ?? "" }).count == 24, "one setup per process")
        #expect(setups.allSatisfy { fields($0)["call"] == "1" }, "setup ran once in each process: \(setups)")
        #expect(
            Set(teardowns.map { fields($0)["pid"] ?? "" }) == Set(setups.map { fields($0)["pid"] ?? "" }),
            "teardown in every process that set up")
        #expect(teardowns.count == 24, "teardown once per process: \(teardowns)")
        #expect(teardowns.allSatisfy { fields($0)["setup"] == "1" }, "teardown got the state setup returned")
        // The stateful consuming stages: their two processes together saw every item once.
        for kind in ["origin", "task", "destination"] {
            let consumed = teardowns.filter { $0.contains(" \(kind)-consuming-state ") }
                .compactMap { Int(fields($0)["consumed"] ?? "") }
            #expect(consumed.reduce(0, +) == (0..<300).reduce(0, +), "\(kind): \(consumed)")
        }
    }

    @Test func sixtyFourItemsInFlightPerWorkerFinishInAnyOrderAndArriveExactlyOnce() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["async-random-order", "--items", "20000", "--concurrency", "64"],
            timeout: .seconds(120))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let result = try run.json()
        #expect(result["missing"] as? Int == 0 && result["duplicated"] as? Int == 0, "\(result)")
        let ascending = try #require(result["ascendingSteps"] as? Int)
        #expect(ascending < 19_000, "items finished out of order, as random waits make them: \(result)")
    }

    @Test func aWorkerKilledWithSixtyFourItemsInFlightLosesAndDuplicatesNothing() throws {
        // 20 ms per item, 64 at once per worker: any moment finds about 64 in flight.
        let (run, killed) = try KilledWorkerTests.run(
            ["async-random-order", "--items", "20000", "--concurrency", "64", "--wait-us", "20000"], kills: 1,
            every: .milliseconds(700)
        ) { _, driver in KilledWorkerTests.workers(of: driver)[0]?.randomElement() }
        let result = try run.json()
        #expect(killed.count == 1)
        #expect(result["missing"] as? Int == 0 && result["duplicated"] as? Int == 0, "\(result); killed \(killed)")
    }

    @Test func killingEachStageAroundAnAsyncTaskKeepsLineageExactAndSkipsReportedOnce() throws {
        // Stage 0, then the async task, then stage 2: what the task emitted carries ids derived
        // from its input's, so replays of it are recognised downstream and skips counted once.
        let (run, killed) = try KilledWorkerTests.run(
            ["chaos", "--items", "60000", "--skip-every", "997", "--async"], kills: 3, every: .milliseconds(500)
        ) { stage, driver in KilledWorkerTests.workers(of: driver)[stage]?.first }
        let result = try run.json()
        let skipped = (0..<60_000).filter { $0 % 997 == 0 }.count
        #expect(result["missing"] as? Int == 0 && result["extra"] as? Int == 0, "\(result); killed \(killed)")
        #expect(result["skippedCount"] as? Int == skipped, "each skipped item reported once: \(result)")
        #expect(result["skippedDistinct"] as? Int == skipped)
    }

    @Test func anAsyncCommittingDestinationLosesNothingWhenItsWorkerIsKilled() throws {
        let (run, killed) = try KilledWorkerTests.run(
            ["buffered-writes", "--items", "60000", "--async"], kills: 1, every: .milliseconds(800)
        ) { _, driver in KilledWorkerTests.workers(of: driver)[1]?.first }
        #expect(killed.count == 1)
        #expect(try run.json()["missing"] as? Int == 0)
    }

    @Test func anAsyncDriverFeedsJoinsAndReadsWithoutBlockingTheConcurrencyPool() throws {
        let run = try Programs.run("mpetl-test-programs", ["async-driver"], timeout: .seconds(120))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let result = try run.json()
        let pipelines = try #require(result["pipelines"] as? Int, "\(result)")
        #expect(result["exact"] as? Int == pipelines, "every result, once: \(result)")
        let seconds = try #require(result["runSeconds"] as? Double)
        let ticks = try #require(result["ticksDuringRun"] as? Int)
        #expect(seconds > 0.2, "the run lasted long enough to tell: \(result)")
        // Measured: about 870 ticks a second when the calls hand off; 12 when they block the pool.
        #expect(Double(ticks) > seconds * 50, "the ticker kept running beside the driver's calls: \(result)")
    }

    @Test func anAsyncItemPastItsTimeoutAmongOthersInFlightIsSkippedAndTheRestArrive() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["stuck-item", "--timeout", "500", "--policy", "skip", "--async"],
            timeout: .seconds(90))
        let result = try run.json()
        #expect(result["missing"] as? Int == 0 && result["extra"] as? Int == 0, "\(result)")
        #expect(result["skipped"] as? [String] == ["7"], "only the item past the limit: \(result)")
        #expect((result["skippedErrors"] as? [String])?.first?.contains("timed out") == true, "\(result)")
        #expect(result["workersLost"] as? Int == 1, "its worker was ended, the others it held replayed: \(result)")
    }

    @Test func statsNameAStuckAsyncItemAndItsSiblingsFinishEverythingElse() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["stuck-item", "--items", "200", "--async"], timeout: .seconds(90))
        let result = try run.json()
        #expect(result["item"] as? String == "7", "described, not only its lineage id: \(result)")
        #expect((result["seconds"] as? Double ?? 0) >= 1, "\(result)")
        #expect(result["finished"] as? Int == 199, "the 7 slots beside it and the other worker did the rest: \(result)")
    }

    @Test func anAsyncItemPastItsTimeoutFailsTheRunNamingIt() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["stuck-item", "--timeout", "300", "--async"], timeout: .seconds(90))
        let result = try run.json()
        #expect(result["code"] as? String == "timed out", "\(result)")
        #expect(result["item"] as? String == "7", "\(result)")
    }

    @Test func pipelineSendFromAnAsyncBodySaysWhatToDoInstead() throws {
        let run = try Programs.run("mpetl-test-programs", ["async-send"], timeout: .seconds(60))
        let result = try run.json()
        #expect(result["code"] as? String == "stage failed", "\(result)")
        #expect((result["error"] as? String ?? "").contains("synchronous stage"), "\(result)")
    }

    @Test(arguments: ["segv", "exit"])
    func anAsyncPoisonItemAmongManyInFlightIsIsolatedThenQuarantined(crash: String) throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["poison", "--crash", crash, "--policy", "skip", "--async"], timeout: .seconds(90))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let result = try run.json()
        #expect(result["missing"] as? Int == 0 && result["extra"] as? Int == 0, "\(result)")
        #expect(result["skipped"] as? [String] == ["500"], "only the poison item, not those beside it: \(result)")
        // One death beside other items makes suspects; two deaths running it alone make it poison
        // (a replay that reached a worker before the suspects did may add one more beside others).
        #expect((3...4).contains(result["workersLost"] as? Int ?? 0), "\(result)")
    }

    @Test func anAsyncPoisonItemUnderFailIsNamed() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["poison", "--crash", "segv", "--async"], timeout: .seconds(90))
        let result = try run.json()
        #expect(result["code"] as? String == "worker died", "\(result)")
        #expect(result["item"] as? String == "500", "the item is named, not one that ran beside it: \(result)")
        #expect((3...4).contains(result["workersKilled"] as? Int ?? 0), "\(result)")
    }
}
