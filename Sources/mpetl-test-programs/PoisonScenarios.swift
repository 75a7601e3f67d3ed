// Items that end the worker running them: the error names them, or .skip quarantines them.
import Foundation
import MPETL

/// `--items` (2,000) items through a 2-process task (chunkSize `--chunk`, 10) of the pipeline
/// "poison", under the policy `--policy` (fail, skip). The body ends its process for item
/// `--poison` (500) as `--crash` says: kill (SIGKILL to itself, as the OOM killer would), segv
/// (a bad memory access), trap (fatalError) or exit (exit(9)). Prints the results and skipped
/// items, or the error with how long join took.
func poison() throws {
    let items = option("items", default: 2_000)
    let poisoned = option("poison", default: 500)
    let policy: ErrorPolicy = stringOption("policy", default: "fail") == "skip" ? .skip : .fail
    let crash = stringOption("crash", default: "kill")
    let pipeline = Pipeline(name: "poison")
    try pipeline.addTask(processes: 2, chunkSize: option("chunk", default: 10), onError: policy) { (value: Int) -> Int in
        if value == poisoned {
            switch crash {
            case "segv":
                // An address the optimiser cannot see through: a real bad access, not raise().
                UnsafeMutablePointer<Int>(bitPattern: option("address", default: 8))!.pointee = value
            case "trap": fatalError("item \(value) is poison")
            case "exit": exit(9)
            default: kill(getpid(), SIGKILL)
            }
        }
        return value
    }
    try pipeline.start()
    let began = ContinuousClock.now
    do {
        try pipeline.feed(contentsOf: 0..<items)
        let report = try pipeline.join()
        let results = Array(try pipeline.asCompleted(as: Int.self))
        var expected: [Int: Int] = [:]
        for value in 0..<items where value != poisoned { expected[value] = 1 }
        var result = compare(results, expected: expected)
        result["joined"] = true
        result["skipped"] = report.skipped.map(\.item)
        result["skippedErrors"] = report.skipped.map(\.error)
        result["skippedCount"] = report.skippedCount
        result["workersLost"] = report.stats.stages.reduce(0) { $0 + $1.workersLost }
        printJSON(result)
    } catch {
        report(error, elapsed: ContinuousClock.now - began)
    }
}
