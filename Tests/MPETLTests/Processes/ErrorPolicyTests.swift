import Testing

/// Per-stage error policies with a stage that throws on every 1,000th item.
@Suite("Error policies", .serialized)
struct ErrorPolicyTests {
    /// `async`: the same stage with an async body, 16 items in flight per worker.
    static func run(_ policy: String, async: Bool) throws -> [String: Any] {
        let run = try Programs.run(
            "mpetl-test-programs", ["policies", "--policy", policy, "--items", "20000"] + (async ? ["--async"] : []),
            timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        return try run.json()
    }

    @Test(arguments: [false, true]) func failStopsThePipelineNamingTheItem(async: Bool) throws {
        let result = try Self.run("fail", async: async)
        #expect(result["code"] as? String == "stage failed")
        #expect(result["stage"] as? String == "task 1 (Int -> Int)")
        #expect((Int(result["item"] as? String ?? "") ?? 0) % 1_000 == 999, "\(result)")
        #expect((result["error"] as? String ?? "").contains("on "), "the host is named")
    }

    @Test(arguments: [false, true]) func skipDropsEachFailingItemAndReportsIt(async: Bool) throws {
        let result = try Self.run("skip", async: async)
        #expect(result["skippedCount"] as? Int == 20)
        #expect(result["skipped"] as? [String] == (0..<20).map { "\($0 * 1_000 + 999)" })
        #expect(result["skippedErrors"] as? String == "distinct")
        #expect(result["skippedStages"] as? [String] == ["task 1 (Int -> Int)"])
        #expect(result["errorsCounted"] as? Int == 20)
        // Each failing item had emitted its value before throwing: skipped, it passes nothing.
        #expect(result["count"] as? Int == 19_980)
        #expect(result["missing"] as? Int == 0)
        #expect(result["extra"] as? Int == 0)
    }

    @Test(arguments: [false, true]) func retryRecoversFromPassingFailuresWithoutDuplicates(async: Bool) throws {
        let result = try Self.run("retry-flaky", async: async)
        #expect(result["count"] as? Int == 20_000, "\(result)")
        #expect(result["missing"] as? Int == 0)
        #expect(result["extra"] as? Int == 0, "values emitted by the failed attempt were discarded")
        #expect(result["skippedCount"] as? Int == 0)
    }

    @Test(arguments: [false, true]) func retryThenFailsWhenTheItemKeepsFailing(async: Bool) throws {
        let result = try Self.run("retry", async: async)
        #expect(result["code"] as? String == "stage failed")
        #expect((result["error"] as? String ?? "").contains("refused"), "\(result)")
    }
}
