import Testing

/// The examples, run as the built executables a user runs.
@Suite("Examples", .serialized)
struct ExampleTests {
    @Test func nurseryRhymePrintsTheFourCapitalisedLines() throws {
        let run = try Programs.run("nursery-rhyme", timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.lines == Expected.nurseryRhyme)
    }

    @Test func executionOrderFollowsTheOriginalRule() throws {
        let run = try Programs.run("execution-order", timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(
            run.lines == [
                "function_2 -> function_7 -> function_3 -> function_4 -> function_6 -> function_8 -> function_1 -> "
                    + "function_5"
            ])
    }
}
