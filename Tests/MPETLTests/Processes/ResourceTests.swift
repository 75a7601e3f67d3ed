import Foundation
import Testing

/// A long-lived program that runs pipeline after pipeline keeps its descriptors and threads
/// flat, and running short of descriptors is an error from start(), never a hang or a crash.
@Suite("Resources", .serialized)
struct ResourceTests {
    @Test func fiveHundredPipelinesLeaveDescriptorsAndThreadsFlat() throws {
        let run = try Programs.run(
            "mpetl-test-programs", ["many-pipelines", "--pipelines", "500"], timeout: .seconds(600))
        #expect(run.status == 0, "\(run.standardError.suffix(1000))")
        let result = try run.json()
        #expect(result["wrong"] as? Int == 0, "\(result)")
        let tenth = try #require(result["descriptorsAfterTenth"] as? Int)
        let last = try #require(result["descriptorsAfterLast"] as? Int)
        // libzmq closes a finished pipeline's sockets on its own thread a moment after join()
        // returns, so a few may be in flight at either count; a leak of one per pipeline would
        // show as hundreds.
        #expect(last <= tenth + 4, "descriptors after the 10th pipeline: \(tenth), after the 500th: \(last): \(result)")
        #expect(result["threadsAfterLast"] as? Int == result["threadsAfterTenth"] as? Int, "\(result)")
    }

    @Test func fourHundredPipelinesRunUnderALimitOf256Descriptors() throws {
        let program = Programs.url("mpetl-test-programs").path
        let run = try Programs.run(
            "/bin/sh", ["-c", "ulimit -n 256 && exec \"$0\" many-pipelines --pipelines 400", program],
            timeout: .seconds(600))
        #expect(run.status == 0, "\(run.standardError.suffix(1000))")
        #expect(try run.json()["wrong"] as? Int == 0)
    }

    @Test func tooFewDescriptorsFailStartSayingWhatToDo() throws {
        let program = Programs.url("mpetl-test-programs").path
        let run = try Programs.run(
            "/bin/sh", ["-c", "ulimit -n 24 && exec \"$0\" many-pipelines --pipelines 3", program],
            timeout: .seconds(60))
        #expect(run.status == 1, "\(run.standardError.suffix(1000))")
        let result = try run.json()
        #expect(result["code"] as? String == "start failed", "\(result)")
        #expect((result["error"] as? String ?? "").contains("ulimit -n"), "\(result)")
    }
}
