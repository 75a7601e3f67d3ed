import Foundation
import Testing

/// Named stages, per-host accounting and progress, shown by a program run on its own.
@Suite("Progress of a program run on its own", .serialized)
struct ProgressProcessTests {
    @Test func namedStagesAppearInStatsAndEachHostsCountsAddUp() throws {
        let run = try Programs.run("mpetl-test-programs", ["named-stages", "--items", "6000"], timeout: .seconds(90))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let result = try run.json()
        #expect(result["stages"] as? [String] == ["read", "enrich", "write"])
        #expect(result["items"] as? [Int] == [6_000, 6_000, 6_000])
        #expect(result["hostItems"] as? [Int] == [6_000, 6_000, 6_000], "every item is some host's: \(result)")
        #expect(result["hostWorkers"] as? [Int] == [1, 2, 1], "\(result)")
        #expect(result["fed"] as? Int == 6_000 && result["expected"] as? Int == 6_000, "a range's count: \(result)")
        #expect(!run.standardError.contains("progress:"), "progress is off unless asked for")
    }

    @Test func mpetlProgressPlainShowsNamedStagesTheBottleneckAndAnExactSummary() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["named-stages", "--items", "40000"], timeout: .seconds(120),
            environment: ["MPETL_PROGRESS": "plain"])
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let lines = run.standardError.split(separator: "\n").map(String.init)
        let progress = lines.filter { $0.hasPrefix("progress: ") }
        #expect(progress.contains { $0.contains("orders  running") && $0.contains("of 40,000") }, "\(progress)")
        #expect(
            progress.contains { $0.contains("  enrich ") && $0.hasSuffix("<- bottleneck") },
            "the slow stage is marked: \(progress)")
        #expect(!progress.contains { $0.contains("  read ") && $0.hasSuffix("<- bottleneck") })
        let summary = lines.filter { $0.hasPrefix("summary: ") }
        #expect(summary.contains { $0.contains("orders  finished") && $0.contains("finished 40,000 (100.0%)") })
        for stage in ["read", "enrich", "write"] {
            #expect(ProgressTable.counts(of: stage, in: summary)?.first == 40_000, "\(stage): \(summary)")
        }
    }

    @Test func aStageWaitingForRoomDownstreamStillReportsWhatItPassedOn() throws {
        // The origin's 2,000-item batch takes seconds, nearly all of it waiting for the slow
        // task: its figures must not lag the task's until the batch ends.
        let run = try Programs.run("mpetl-test-programs", ["blocked-upstream"], timeout: .seconds(120))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let sample = try run.json()
        let (originOut, taskIn) = (sample["originOut"] as? Int ?? 0, sample["taskIn"] as? Int ?? 0)
        // Reports come every 250 ms: the origin's may be that old, but it was sent mid-batch.
        #expect(taskIn >= 600 && originOut > 0, "the origin's output shows before its batch ends: \(sample)")
    }

    @Test func aMistypedSettingIsWarnedAboutOnceNotByEveryWorker() throws {
        // Four workers beside the driver: each reads the environment it inherits.
        let run = try Programs.run(
            "mpetl-test-programs", ["named-stages", "--items", "200"], timeout: .seconds(120),
            environment: ["MPETL_PROGRESS": "loud", "MPETL_LOG_LEVEL": "chatty"])
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.filter { $0.contains("MPETL_PROGRESS=loud is not one of") }.count == 1, "\(run.standardError)")
        #expect(
            lines.filter { $0.contains("MPETL_LOG_LEVEL=chatty is not a level") }.count == 1, "\(run.standardError)")
    }

    @Test func twoStagesWithOneNameAreRefusedAtStart() throws {
        let run = try Programs.run("mpetl-test-programs", ["duplicate-stage-names"], timeout: .seconds(30))
        let result = try run.json()
        #expect(result["code"] as? String == "invalid definition", "\(result)")
        #expect((result["error"] as? String ?? "").contains("two stages are named \"parse\""), "\(result)")
    }
}
