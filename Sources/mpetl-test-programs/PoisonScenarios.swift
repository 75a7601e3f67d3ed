// Items that end the worker running them: the error names them, or .skip quarantines them.
import Foundation
import MPETL

/// `--items` (2,000) items through a 2-process task (chunkSize `--chunk`, 10) of the pipeline
/// "poison", under the policy `--policy` (fail, skip). The body ends its process for item
/// `--poison` (500) as `--crash` says: kill (SIGKILL to itself, as the OOM killer would), segv
/// (a bad memory access), trap (fatalError) or exit (exit(9)). Prints the results and skipped
/// items, or the error with how long join took. With `--async`, the body is async and each
/// worker runs 16 items at once.
func poison() throws {
    let items = option("items", default: 2_000)
    let poisoned = option("poison", default: 500)
    let policy: ErrorPolicy = stringOption("policy", default: "fail") == "skip" ? .skip : .fail
    let crash = stringOption("crash", default: "kill")
    @Sendable func run(_ value: Int) -> Int {
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
    let pipeline = Pipeline(name: "poison")
    let chunk = option("chunk", default: 10)
    if CommandLine.arguments.contains("--async") {
        // 16 items in flight: the first death holds many, so each becomes a suspect that runs alone.
        try pipeline.addTask(processes: 2, chunkSize: chunk, concurrency: 16, onError: policy) {
            (value: Int) async throws -> Int in
            try await jitter(upTo: 200)
            return run(value)
        }
    } else {
        try pipeline.addTask(processes: 2, chunkSize: chunk, onError: policy) { (value: Int) -> Int in run(value) }
    }
    try pipeline.start()
    try feedAndReport(pipeline, items: items, except: poisoned)
}

/// Feeds 0..<`items`, joins, and prints how the results compare with every item but `missing`
/// (the one a stage cannot finish), what was skipped and how many workers were lost; or the
/// error with how long join took.
func feedAndReport(_ pipeline: Pipeline, items: Int, except missing: Int) throws {
    let began = ContinuousClock.now
    do {
        try pipeline.feed(contentsOf: 0..<items)
        let report = try pipeline.join()
        let results = Array(try pipeline.asCompleted(as: Int.self))
        var expected: [Int: Int] = [:]
        for value in 0..<items where value != missing { expected[value] = 1 }
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

/// A task of 2 processes whose body never returns for item `--stuck` (7; -1 for none) and takes
/// `--sleep-ms` (2) otherwise, fed `--items` (60). Prints "started" once the feed began. With
/// `--stop-group-at N`, the program runs in a process group of its own and the body stops the
/// whole group (driver, agent, workers: as Ctrl-Z does) as it starts item N, once. With `--timeout` milliseconds and
/// `--policy` (fail, skip,
/// retry), prints what join said; with `--async` too, the body awaits and each worker runs 8
/// items at once. Without a timeout, prints once `stats()` shows the stuck item
/// (how many items finished by then, and who holds it), then exits, ending its workers.
func stuckItem() throws {
    let items = option("items", default: 60)
    let stuck = option("stuck", default: 7)
    let timeout = option("timeout", default: 0)
    let pause = option("sleep-ms", default: 2)
    let stopAt = option("stop-group-at", default: -1)
    // Made before start(), so the workers (spawned by this process) are in the group too; the
    // marker makes the stop happen once, whichever worker runs the item first.
    let marker = NSTemporaryDirectory() + "mpetl-stop-group-\(Pipeline.isWorkerProcess ? getpgrp() : getpid())"
    if stopAt >= 0 && !Pipeline.isWorkerProcess { setpgid(0, 0) }
    defer { if stopAt >= 0 && !Pipeline.isWorkerProcess { unlink(marker) } }
    let policy: ErrorPolicy =
        switch stringOption("policy", default: "fail") {
        case "skip": .skip
        case "retry": .retry(1)
        default: .fail
        }
    let pipeline = Pipeline(name: "stuck")
    let limit: Duration? = timeout > 0 ? .milliseconds(timeout) : nil
    if CommandLine.arguments.contains("--async") {
        // 8 items in flight per worker; the stuck one awaits for ever beside them.
        try pipeline.addTask(processes: 2, concurrency: 8, onError: policy, timeout: limit) {
            (value: Int) async throws -> Int in
            try await Task.sleep(for: value == stuck ? .seconds(86_400) : .milliseconds(pause))
            return value
        }
    } else {
        try addStuckTask(
            to: pipeline, stuck: stuck, pause: pause, stopAt: stopAt, marker: marker, policy: policy,
            timeout: limit)
    }
    try pipeline.start()
    print("started")
    fflush(nil)
    guard timeout > 0 else {
        let feeder = Thread { try? pipeline.feed(contentsOf: 0..<items) }
        feeder.start()
        let deadline = ContinuousClock.now + .seconds(60)
        // Report once the stuck item is named and the other worker has stopped making progress:
        // what is finished then is all that the stuck worker did not hold, however slow the
        // machine (a fixed moment would also count what a loaded machine had not yet done).
        var lastFinished = -1
        var lastProgress = ContinuousClock.now
        while ContinuousClock.now < deadline {
            let stage = try pipeline.stats().stages[0]
            if Int(stage.itemsOut) != lastFinished {
                lastFinished = Int(stage.itemsOut)
                lastProgress = .now
            }
            if let long = stage.longRunning.first, ContinuousClock.now - lastProgress >= .seconds(1) {
                printJSON([
                    "item": long.item, "pid": Int(long.pid), "seconds": long.seconds, "finished": Int(stage.itemsOut),
                    "queueDepth": Int(stage.queueDepth),
                ])
                exit(0)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        printJSON(["error": "stats() never showed the stuck item"])
        exit(0)
    }
    try feedAndReport(pipeline, items: items, except: stuck)
}

/// `stuck-item`'s synchronous task: never returns for `stuck`; stops the whole process group at
/// `stopAt` (once, whichever worker claims `marker` first); else sleeps `pause` milliseconds.
func addStuckTask(
    to pipeline: Pipeline, stuck: Int, pause: Int, stopAt: Int, marker: String, policy: ErrorPolicy,
    timeout: Duration?
) throws {
    try pipeline.addTask(processes: 2, onError: policy, timeout: timeout) {
        (value: Int) -> Int in
        if value == stuck {
            while true { sleep(60) }
        }
        if value == stopAt {
            let claimed = open(marker, O_CREAT | O_EXCL | O_WRONLY, 0o600)
            if claimed >= 0 {
                close(claimed)
                kill(0, SIGSTOP)
            }
        }
        usleep(UInt32(pause * 1_000))
        return value
    }
}
