// Pipelines the liveness tests run on a loaded or paused machine: the driver prints "started"
// once its workers run, and one JSON line at the end with what came out and how many workers
// were declared lost (which must stay 0: slow is not dead).
import Foundation
import MPETL

/// Two tasks of 2 processes, chunkSize 10, the first sleeping `--work-us` (20) per item;
/// `--items` (100,000) through them.
func paused() throws {
    let items = option("items", default: 100_000)
    let work = option("work-us", default: 20)
    let pipeline = Pipeline()
    try pipeline.addTask(processes: 2, chunkSize: 10) { (value: Int) in
        usleep(UInt32(work))
        return value
    }
    try pipeline.addTask(processes: 2, chunkSize: 10) { (value: Int) in value }
    try pipeline.start()
    print("started")
    fflush(nil)
    try pipeline.feed(contentsOf: 0..<items)
    try printOutcome(of: pipeline, expecting: 0..<items)
}

/// origin → task of 2 processes taking `--work-ms` (20) per item → destination; `--items`
/// (300): the Ctrl-Z test stops and resumes the whole process group.
func suspended() throws {
    let items = option("items", default: 300)
    let work = option("work-ms", default: 20)
    let pipeline = Pipeline()
    try pipeline.addOrigin { (value: Int) in value }
    try pipeline.addTask(processes: 2) { (value: Int) in
        usleep(UInt32(work * 1000))
        return value * 2
    }
    try pipeline.addDestination { (value: Int) in value }
    try pipeline.start()
    print("started")
    fflush(nil)
    try pipeline.feed(contentsOf: 0..<items)
    try printOutcome(of: pipeline, expecting: (0..<items).map { 2 * $0 })
}

/// 45 worker processes on one machine: origin (1) → +1 (20) → −3 (17) → ×5 (7), chunk sizes
/// 11, 17, 1 and 9, `--items` (100).
func wide() throws {
    let items = option("items", default: 100)
    let pipeline = Pipeline()
    try pipeline.addOrigin(processes: 1, chunkSize: 11) { (value: Int) in value }
    try pipeline.addTask(processes: 20, chunkSize: 17) { (value: Int) in value + 1 }
    try pipeline.addTask(processes: 17, chunkSize: 1) { (value: Int) in value - 3 }
    try pipeline.addTask(processes: 7, chunkSize: 9) { (value: Int) in value * 5 }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<items)
    try printOutcome(of: pipeline, expecting: (0..<items).map { ($0 + 1 - 3) * 5 })
}

/// Joins `pipeline` and prints how its results compare with `values` (each expected once),
/// and how many workers its stages lost.
func printOutcome(of pipeline: Pipeline, expecting values: some Sequence<Int>) throws {
    let report = try pipeline.join()
    var expected: [Int: Int] = [:]
    for value in values { expected[value] = 1 }
    var result = compare(Array(try pipeline.asCompleted(as: Int.self)), expected: expected)
    result["workersLost"] = report.stats.stages.reduce(0) { $0 + $1.workersLost }
    printJSON(result)
}

/// A task of 2 processes printing `--lines` (200) lines of `--length` (4,000) characters each,
/// each line one character repeated: lines cut into each other show as mixed characters.
func longLines() throws {
    let lines = option("lines", default: 200)
    let length = option("length", default: 4_000)
    let pipeline = Pipeline()
    try pipeline.addTask(processes: 2) { (value: Int) in
        let letter = Character(UnicodeScalar(UInt8(97 + value % 26)))
        print(String(repeating: letter, count: length))
    }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<lines)
    try pipeline.join()
}

/// A program whose workers never reach `start()` (they block before it): alive, so only the
/// start limit (`MPETL_START_TIMEOUT`) can end the wait.
func stuckBeforeStart() throws {
    let pipeline = Pipeline()
    try pipeline.addTask { (value: Int) in value }
    if Pipeline.isWorkerProcess {
        while true { pause() }
    }
    try pipeline.start()
    try pipeline.feed(1)
    try pipeline.join()
    printJSON(["error": "none"])
}
