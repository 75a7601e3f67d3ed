import Testing

/// Log lines from every process, through swift-log, with the level from MPETL_LOG_LEVEL.
@Suite("Logging", .serialized)
struct LoggingTests {
    @Test func debugLinesComeFromEveryWorkerWithItsPipelineStageAndHost() throws {
        let run = try Programs.run("nursery-rhyme", timeout: .seconds(60), environment: ["MPETL_LOG_LEVEL": "debug"])
        #expect(run.status == 0)
        #expect(run.lines.count == 4, "logs never go to standard output")
        let lines = run.standardError.split(separator: "\n").map(String.init)
        let starting = lines.filter { $0.contains("debug: worker starting") }
        #expect(starting.count == 3, "\(lines)")
        let pids = Set(starting.compactMap { $0.split(separator: "]").first?.dropFirst("mpetl[".count) })
        #expect(pids.count == 3, "one line per worker process")
        for stage in ["origin 1 (String -> String)", "task 1 (String -> String)", "destination 1 (String -> nothing)"] {
            #expect(
                starting.contains {
                    $0.contains("stage=\(stage)") && $0.contains("pipeline=pipeline #0") && $0.contains("host=")
                },
                "\(stage) in \(starting)")
        }
        #expect(lines.contains { $0.contains("debug: pipeline registered") })
    }

    @Test func theDefaultLevelKeepsQuietRunsQuiet() throws {
        let run = try Programs.run("nursery-rhyme", timeout: .seconds(60))
        #expect(run.status == 0)
        #expect(run.standardError.isEmpty, "\(run.standardError)")
    }

    @Test func anApplicationLoggerReceivesEveryProcesssLinesWithItsOwnLevel() throws {
        let run = try Programs.run("mpetl-test-programs", ["own-logger"], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let starting = run.lines.filter { $0.contains("worker starting") }
        #expect(starting.count == 2, "both workers log through the application's handler at its level: \(run.lines)")
        #expect(
            starting.allSatisfy { $0.contains("debug app:") && $0.contains("stage=task 1 (Int -> Int)") }, "\(starting)"
        )
        #expect(run.lines.contains { $0.contains("pipeline registered") }, "the driver's own lines too")
        #expect(!run.standardError.contains("mpetl["), "nothing through MPETL's own handler: \(run.standardError)")
    }
}
