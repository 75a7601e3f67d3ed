import Testing

/// Per-stage error policies with a stage that throws on every 1,000th item.
@Suite("Error policies", .serialized)
struct ErrorPolicyTests {
    static func run(_ policy: String) throws -> [String: Any] {
        let run = try Programs.run(
            "mpetl-test-programs", ["policies", "--policy", policy, "--items", "20000"], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        return try run.json()
    }

    @Test func failStopsThePipelineNamingTheItem() throws {
        let result = try Self.run("fail")
        #expect(result["code"] as? String == "stage failed")
        #expect(result["stage"] as? String == "task 1 (Int -> Int)")
        #expect((Int(result["item"] as? String ?? "") ?? 0) % 1_000 == 999, "\(result)")
        #expect((result["error"] as? String ?? "").contains("on "), "the host is named")
    }

    @Test func skipDropsEachFailingItemAndReportsIt() throws {
        let result = try Self.run("skip")
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

    @Test func retryRecoversFromPassingFailuresWithoutDuplicates() throws {
        let result = try Self.run("retry-flaky")
        #expect(result["count"] as? Int == 20_000, "\(result)")
        #expect(result["missing"] as? Int == 0)
        #expect(result["extra"] as? Int == 0, "values emitted by the failed attempt were discarded")
        #expect(result["skippedCount"] as? Int == 0)
    }

    @Test func retryThenFailsWhenTheItemKeepsFailing() throws {
        let result = try Self.run("retry")
        #expect(result["code"] as? String == "stage failed")
        #expect((result["error"] as? String ?? "").contains("refused"), "\(result)")
    }
}
