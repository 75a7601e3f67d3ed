import Foundation
import Testing

/// Items that end the worker running them, with real worker processes that really crash.
@Suite("Poison items", .serialized)
struct PoisonItemTests {
    @Test(arguments: ["segv", "trap", "exit"])
    func anItemThatKillsEveryWorkerIsNamedWithTheWorkersItKilled(crash: String) throws {
        let run = try Programs.run("mpetl-test-programs", ["poison", "--crash", crash], timeout: .seconds(90))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let result = try run.json()
        #expect(result["code"] as? String == "worker died", "\(result)")
        #expect(result["item"] as? String == "500", "the item is named: \(result)")
        #expect(result["workersKilled"] as? Int == 2, "\(result)")
        #expect((result["error"] as? String ?? "").contains("a poison item"), "\(result)")
        #expect((result["error"] as? String ?? "").contains("onError: .skip"), "it says what to do: \(result)")
    }

    @Test(arguments: ["segv", "exit"])
    func underSkipAPoisonItemIsQuarantinedAndEverythingElseArrives(crash: String) throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["poison", "--crash", crash, "--policy", "skip"], timeout: .seconds(90))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let result = try run.json()
        #expect(result["joined"] as? Bool == true, "\(result)")
        #expect(result["missing"] as? Int == 0 && result["extra"] as? Int == 0, "\(result)")
        #expect(result["skipped"] as? [String] == ["500"], "\(result)")
        #expect(
            (result["skippedErrors"] as? [String])?.first?.contains("quarantined: it killed 2 workers") == true,
            "\(result)")
        #expect(result["workersLost"] as? Int == 2, "\(result)")
    }

    @Test func beside4BusyLoopsAPoisonItemIsStillQuarantined() throws {
        let loops = try BusyLoops(4)
        defer { loops.stop() }
        let run = try Programs.run(
            "mpetl-test-programs", ["poison", "--crash", "segv", "--policy", "skip", "--items", "20000"],
            timeout: .seconds(120))
        let result = try run.json()
        #expect(result["missing"] as? Int == 0 && result["extra"] as? Int == 0, "\(result)")
        #expect(result["skipped"] as? [String] == ["500"], "\(result)")
    }
}
