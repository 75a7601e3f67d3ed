// Named stages, per-host counts and progress a person reads, from a program run on its own.
import Foundation
import MPETL

/// `--items` (6,000) items through named stages: "read" (fast), "enrich" (2 processes, 300 µs
/// of CPU per item: the bottleneck) and "write" (fast). Progress as MPETL_PROGRESS says.
/// Prints the final stats: stage names, items per stage and per host.
func namedStages() throws {
    let items = option("items", default: 6_000)
    let pipeline = Pipeline(name: "orders")
    try pipeline.addOrigin(name: "read") { (value: Int) in value }
    try pipeline.addTask(name: "enrich", processes: 2) { (value: Int) in
        spin(microseconds: 300)
        return value
    }
    try pipeline.addDestination(name: "write") { (value: Int) in value }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<items)
    let report = try pipeline.join()
    printJSON([
        "stages": report.stats.stages.map(\.label),
        "items": report.stats.stages.map { Int($0.itemsIn) },
        "hostItems": report.stats.stages.map { $0.hosts.reduce(0) { $0 + Int($1.itemsIn) } },
        "hostWorkers": report.stats.stages.map { $0.hosts.reduce(0) { $0 + $1.workers } },
        "fed": Int(report.stats.itemsFed), "expected": Int(report.stats.expectedItems ?? 0),
    ])
}

/// Two stages named alike: prints start()'s error.
func duplicateStageNames() throws {
    let pipeline = Pipeline()
    try pipeline.addTask(name: "parse") { (value: Int) in value }
    try pipeline.addTask(name: "parse") { (value: Int) in value }
    do {
        try pipeline.start()
        printJSON(["error": "start() accepted two stages named parse"])
    } catch {
        report(error)
    }
}

/// An origin that takes the feed in batches of 2,000 before a task that takes 1 ms an item:
/// the origin spends each batch waiting for room downstream. Samples stats() until the task
/// has finished 600 items (of the origin's first batch) and prints what the origin and the
/// task had passed on by then, then lets the run end.
func blockedUpstream() throws {
    let pipeline = Pipeline()
    try pipeline.addOrigin(name: "read", chunkSize: 2_000) { (value: Int) in value }
    try pipeline.addTask(name: "slow", chunkSize: 10) { (value: Int) in
        usleep(1_000)
        return value
    }
    try pipeline.addDestination(name: "write") { (value: Int) in value }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<2_400)
    var sample: [String: Int] = [:]
    let deadline = ContinuousClock.now + .seconds(60)
    while sample.isEmpty && ContinuousClock.now < deadline {
        let stages = try pipeline.stats().stages
        if stages[1].itemsIn >= 600 {
            sample = [
                "originOut": Int(stages[0].itemsOut), "taskIn": Int(stages[1].itemsIn),
                "taskOut": Int(stages[1].itemsOut),
            ]
        }
        usleep(20_000)
    }
    try pipeline.join()
    printJSON(sample)
}
