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
            #expect(starting.contains { $0.contains("stage=\(stage)") && $0.contains("pipeline=pipeline #0") && $0.contains("host=") },
                    "\(stage) in \(starting)")
        }
        #expect(lines.contains { $0.contains("debug: pipeline registered") })
    }

    @Test func theDefaultLevelKeepsQuietRunsQuiet() throws {
        let run = try Programs.run("nursery-rhyme", timeout: .seconds(60))
        #expect(run.status == 0)
        #expect(run.standardError.isEmpty, "\(run.standardError)")
    }
}
