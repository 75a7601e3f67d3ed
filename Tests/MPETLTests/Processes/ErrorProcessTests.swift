import Foundation
import Testing

/// Failures and misuse in started pipelines, each with a message that says what to do.
@Suite("Errors in running pipelines", .serialized)
struct ErrorProcessTests {
    @Test func aThrowingStageMakesJoinThrowNamingPipelineStagePidAndItem() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["throwing", "--items", "100000", "--fail-at", "500"], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["code"] as? String == "stage failed", "\(result)")
        #expect(result["pipeline"] as? String == "thrower")
        #expect(result["stage"] as? String == "task 1 (Int -> Int)")
        #expect((result["pid"] as? Int ?? 0) > 0)
        #expect(result["item"] as? String == "500")
        #expect((result["error"] as? String ?? "").contains("refused 500"))
        #expect(result["cause"] as? String == "Refused: refused 500", "what the body threw, by type: \(result)")
        #expect((result["seconds"] as? Double ?? 99) < 10, "join returned within seconds")
    }

    @Test func misuseOfAStartedPipelineGetsTypedErrors() throws {
        let run = try Programs.run("mpetl-test-programs", ["misuse"], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        func outcome(_ name: String) -> String {
            run.lines.first { $0.hasPrefix(name + " ") }.map { String($0.dropFirst(name.count + 1)) } ?? "missing"
        }
        #expect(outcome("add-after-start").hasPrefix("already started | "))
        #expect(outcome("add-after-start").contains("add every stage before calling start()"))
        #expect(outcome("start-twice").hasPrefix("already started | "))
        #expect(outcome("feed-wrong-type").hasPrefix("type mismatch | "))
        #expect(outcome("feed-wrong-type").contains("feed was given String but the first stage takes Int"))
        #expect(outcome("results-wrong-type").hasPrefix("type mismatch | "))
        #expect(outcome("feed") == "ok")
        #expect(outcome("join") == "ok")
        #expect(outcome("feed-after-join").hasPrefix("feed closed | "))
        #expect(outcome("feed-after-join").contains("feed every item before joining"))
        #expect(outcome("join-again") == "ok")
        #expect(run.lines.contains("first-count 3"))
        #expect(run.lines.contains("second-count 0"))
    }

    @Test func aStageBodyCallingItsOwnPipelineGetsAnErrorNotADeadlock() throws {
        let run = try Programs.run("mpetl-test-programs", ["own-pipeline"], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["code"] as? String == "stage failed", "\(result)")
        #expect(
            result["cause"] as? String ?? "" == "PipelineError: "
                + "self-aware: stats was called by a stage of this pipeline, in its worker process; a stage passes "
                + "items on by returning them or through its Emitter, and to another pipeline with Pipeline.send",
            "\(result)")
    }

    @Test func aStageBodyFeedingAnotherPipelineDirectlyIsToldToUseSend() throws {
        let run = try Programs.run("mpetl-test-programs", ["feeds-another-pipeline"], timeout: .seconds(60))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["code"] as? String == "stage failed", "\(result)")
        #expect((result["cause"] as? String ?? "").contains("use Pipeline.send(name, item)"), "\(result)")
    }
}
