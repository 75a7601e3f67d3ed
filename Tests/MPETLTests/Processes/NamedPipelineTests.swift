import Testing

/// `Pipeline.send` between pipelines, in real worker processes.
@Suite("Named pipelines", .serialized)
struct NamedPipelineTests {
    @Test func aSendWaitingSecondsForASlowReceiverKeepsReportingAndFinishes() throws {
        // The send waits for room inside the stage body for about 2 s, past the 250 ms after
        // which a waiting worker reports its counters; reading the links' counts there once
        // deadlocked on their lock.
        let run = try Programs.run("mpetl-test-programs", ["send-to-slow-receiver"], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError.suffix(2000))")
        #expect(try run.json()["received"] as? Int == 2_000)
    }

    @Test func theOriginalSecondExamplePrintsHelloWorld() throws {
        let run = try Programs.run("named-pipelines", timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(run.lines == ["HELLO WORLD"])
    }

    @Test func aChainOfThreeNamedPipelinesDeliversEveryItemExactlyOnce() throws {
        let run = try Programs.run("mpetl-test-programs", ["named-chain", "--items", "50000"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["count"] as? Int == 50_000, "\(result)")
        #expect(result["missing"] as? Int == 0)
        #expect(result["extra"] as? Int == 0)
    }

    @Test func twoSendersFanInWithNothingLostWhileTheReceiverIsReadLive() throws {
        let run = try Programs.run("mpetl-test-programs", ["named-fan-in", "--items", "20000"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        // The receiver's results were read live from before the senders finished: had it
        // ended early, items would be missing and the senders' joins would have thrown.
        #expect(result["count"] as? Int == 40_000, "\(result)")
        #expect(result["missing"] as? Int == 0)
        #expect(result["extra"] as? Int == 0)
    }

    @Test func everyMisuseGetsAnErrorThatSaysWhatToDo() throws {
        let run = try Programs.run("mpetl-test-programs", ["named-errors"], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        func outcome(_ name: String) -> String {
            run.lines.first { $0.hasPrefix(name + " ") }.map { String($0.dropFirst(name.count + 1)) } ?? "missing"
        }
        #expect(outcome("join-receiver-first").hasPrefix("join order | receiver: "))
        #expect(outcome("join-receiver-first").contains("join pipeline #0 first"))
        #expect(outcome("join-sender") == "ok", "after the refused join, the right order still works")
        #expect(outcome("join-receiver") == "ok")
        #expect(outcome("receiver-results") == "HELLO")

        #expect(outcome("duplicate-name").hasPrefix("duplicate name | twin: "))
        #expect(outcome("duplicate-name").contains("choose another name"))
        #expect(outcome("twin-join") == "ok")

        #expect(outcome("driver-send") == "ok")
        #expect(outcome("driver-send-wrong-type").hasPrefix("type mismatch | "))
        #expect(outcome("direct-results") == "[10, 20]")
        #expect(outcome("driver-send-after-join").hasPrefix("pipeline finished | direct: "))
        #expect(
            outcome("driver-send-unknown").hasPrefix(
                "unknown pipeline | nobody: no pipeline named \"nobody\" is registered"))

        #expect(outcome("send-to-finished").hasPrefix("stage failed | "))
        #expect(outcome("send-to-finished").contains("\"direct\" has already finished"))
        #expect(outcome("send-to-unknown").hasPrefix("stage failed | "))
        #expect(outcome("send-to-unknown").contains("no pipeline named \"nobody\" is registered"))
        // The program can tell by code, not only by text, what the stage's own code threw.
        #expect(
            outcome("send-to-unknown").hasSuffix("| cause PipelineError unknown pipeline"),
            "\(outcome("send-to-unknown"))")
        let waited = Int(outcome("send-to-unknown-seconds")) ?? -1
        #expect((3...10).contains(waited), "an unknown name is waited for about 3 seconds, then refused")

        #expect(outcome("send-to-itself").hasPrefix("stage failed | "))
        #expect(outcome("send-to-itself").contains("a pipeline cannot send to itself"))
        #expect(outcome("send-wrong-type").hasPrefix("stage failed | "))
        #expect(
            outcome("send-wrong-type").contains(
                "Pipeline.send was given String but the first stage of \"typed\" takes Int"))
        #expect(
            outcome("typed-join").hasPrefix("linked pipeline failed | ") || outcome("typed-join") == "ok",
            "the receiver either finishes or reports its failed sender: \(outcome("typed-join"))")
        let cycle = [outcome("cycle-ping"), outcome("cycle-pong")]
        #expect(
            cycle.contains { $0.contains("pipelines that send to each other in a cycle can never finish") }, "\(cycle)")
        #expect(cycle.allSatisfy { $0 != "ok" && $0 != "missing" }, "neither can finish: \(cycle)")
    }
}
