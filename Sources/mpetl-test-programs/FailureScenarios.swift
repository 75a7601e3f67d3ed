import Foundation
import MPETL
import Synchronization

struct Refused: Error, CustomStringConvertible {
    var value: Int
    var description: String { "refused \(value)" }
}

/// Items this process has already seen fail once, for bodies that fail only the first time.
let failedOnce = Mutex<Set<Int>>([])

/// 20,000 items through a 2-process task that throws on every 1,000th item under the policy
/// named by `--policy` (fail, skip, retry, retry-flaky); prints what join said.
func policies() throws {
    let items = option("items", default: 20_000)
    let mode = CommandLine.arguments.firstIndex(of: "--policy").map { CommandLine.arguments[$0 + 1] } ?? "fail"
    let policy: ErrorPolicy = switch mode {
    case "skip": .skip
    case "retry", "retry-flaky": .retry(2)
    default: .fail
    }
    let flaky = mode == "retry-flaky"
    let pipeline = Pipeline(name: "policies")
    try pipeline.addTask(processes: 2, chunkSize: 7, onError: policy) { (value: Int, emit: Emitter<Int>) in
        // Emits before throwing: a retried or skipped attempt must leave no trace.
        emit(value)
        if value % 1_000 == 999 {
            let first = failedOnce.withLock { $0.insert(value).inserted }
            if !flaky || first { throw Refused(value: value) }
        }
    }
    try pipeline.start()
    do {
        // feed throws the failure too once the pipeline has failed.
        try pipeline.feed(contentsOf: 0..<items)
        let report = try pipeline.join()
        let results = Array(try pipeline.asCompleted(as: Int.self))
        var expected: [Int: Int] = [:]
        let skippedValues = Set(report.skipped.compactMap { Int($0.item) })
        for value in 0..<items where !skippedValues.contains(value) { expected[value] = 1 }
        var result = compare(results, expected: expected)
        result["skippedCount"] = report.skippedCount
        result["skipped"] = report.skipped.map(\.item).sorted { Int($0)! < Int($1)! }
        result["skippedErrors"] = Set(report.skipped.map(\.error)).count == report.skipped.count ? "distinct" : "repeated"
        result["skippedStages"] = Array(Set(report.skipped.map(\.stage)))
        result["errorsCounted"] = Int(report.stats.stages.first?.errors ?? 0)
        printJSON(result)
    } catch {
        report(error)
    }
}

/// A slow pipeline with teardowns that say they ran, fed until the driver is signalled.
func interruptible() throws {
    final class Handled: @unchecked Sendable { var count = 0 }
    let pipeline = Pipeline(maxSize: 10)
    try pipeline.addTask(processes: 2, setup: { Handled() }, teardown: { handled in
        print("teardown pid=\(getpid()) handled=\(handled.count)")
        fflush(nil)
    }) { (value: Int, handled: Handled) in
        handled.count += 1
        usleep(20_000)
        return value
    }
    try pipeline.addDestination { (value: Int) in
        if value == 0 {
            print("first item done")
            fflush(nil)
        }
    }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<1_000_000)
}
