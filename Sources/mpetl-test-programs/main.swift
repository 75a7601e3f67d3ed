// Small pipeline programs the test suite runs as real multi-process jobs. The first argument
// names the scenario; every worker re-executes this binary with the same arguments, so each
// scenario builds the same pipelines in every process. Drivers print one JSON line (or plain
// lines) that the tests check.
import Foundation
import Logging
import MPETL
import Synchronization

/// Setup calls in this process.
let setupCalls = Atomic<Int>(0)

struct Tagged: Codable, Sendable, Hashable {
    var value: Int
    var pid: Int32
}

func option(_ name: String, default value: Int) -> Int {
    Int(stringOption(name, default: "\(value)")) ?? value
}

func stringOption(_ name: String, default value: String) -> String {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else { return value }
    return arguments[index + 1]
}

func printJSON(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func report(_ error: any Error, elapsed: Duration? = nil) {
    var object: [String: Any] = ["error": "\(error)"]
    if let error = error as? PipelineError {
        object["code"] = error.code.description
        object["pipeline"] = error.pipeline
        object["stage"] = error.stage ?? ""
        object["pid"] = Int(error.pid ?? 0)
        object["item"] = error.item ?? ""
        if let killed = error.workersKilled { object["workersKilled"] = killed }
        if let cause = error.cause { object["cause"] = "\(cause.type): \(cause.description)" }
    }
    if let elapsed {
        object["seconds"] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    printJSON(object)
}

/// origin (1) → task (N, tags each item with its pid) → destination (1); checks the multiset.
func exactlyOnce() throws {
    let items = option("items", default: 100_000)
    let chunk = option("chunk", default: 1)
    let processes = option("processes", default: 3)
    let pipeline = Pipeline()
    try pipeline.addOrigin(chunkSize: chunk) { (value: Int) in value }
    try pipeline.addTask(processes: .count(processes), chunkSize: chunk) { (value: Int) in
        let work = option("work-us", default: 0)
        if work > 0 { usleep(UInt32(work)) }
        return Tagged(value: value, pid: getpid())
    }
    try pipeline.addDestination(chunkSize: chunk) { (tagged: Tagged) in tagged }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<items)
    try pipeline.join()
    var seen = [Int](repeating: 0, count: items)
    var outOfRange = 0
    var pids: [Int32: Int] = [:]
    for tagged in try pipeline.asCompleted(as: Tagged.self) {
        if seen.indices.contains(tagged.value) { seen[tagged.value] += 1 } else { outOfRange += 1 }
        pids[tagged.pid, default: 0] += 1
    }
    printJSON([
        "missing": seen.filter { $0 == 0 }.count,
        "duplicated": seen.filter { $0 > 1 }.count,
        "outOfRange": outOfRange,
        "taskPids": pids.count,
        "perPid": pids.values.sorted(),
    ])
}

/// A task with setup and teardown in 3 processes; each process prints what it did.
func setupTeardown() throws {
    final class Counter: @unchecked Sendable {
        var handled = 0
        let setupNumber: Int
        init(_ n: Int) { setupNumber = n }
    }
    let pipeline = Pipeline()
    try pipeline.addTask(
        processes: 3,
        setup: { () -> Counter in
            let call = setupCalls.add(1, ordering: .relaxed).newValue
            print("setup pid=\(getpid()) call=\(call)")
            return Counter(call)
        },
        teardown: { counter in
            print("teardown pid=\(getpid()) handled=\(counter.handled) setup=\(counter.setupNumber)")
        }
    ) { (value: Int, counter: Counter) in
        counter.handled += 1
    }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<option("items", default: 3_000))
    try pipeline.join()
    print("joined")
}

/// Emitters emitting 0, 1 and many values; optional results dropping nils.
func emitAndDrop() throws {
    let pipeline = Pipeline()
    // n emits n copies of n: 0 → none, 1 → one, 5 → five.
    try pipeline.addOrigin { (count: Int, emit: Emitter<Int>) in
        for _ in 0..<count { emit(count) }
    }
    // Odd values pass, even values are dropped by returning nil.
    try pipeline.addTask(processes: 2) { (value: Int) -> Int? in value % 2 == 1 ? value * 10 : nil }
    try pipeline.start()
    try pipeline.feed(contentsOf: [0, 1, 2, 3, 5, 0, 7])
    try pipeline.join()
    printJSON(["results": try pipeline.asCompleted(as: Int.self).sorted()])
}

/// asCompleted before join: results stream in while the pipeline runs, and the sequence ends.
func live() throws {
    let pipeline = Pipeline()
    try pipeline.addTask(processes: 2, chunkSize: 10) { (value: Int) in value * 2 }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<option("items", default: 10_000))
    var count = 0
    var sum = 0
    for value in try pipeline.asCompleted(as: Int.self) {
        count += 1
        sum += value
    }
    try pipeline.join()
    let again = try pipeline.asCompleted(as: Int.self).reduce(0) { count, _ in count + 1 }
    printJSON(["count": count, "sum": sum, "secondIteration": again])
}

/// A task that throws on one item: join must throw, naming everything, within seconds.
func throwing() throws {
    struct Refused: Error, CustomStringConvertible {
        var value: Int
        var description: String { "refused \(value)" }
    }
    let pipeline = Pipeline(name: "thrower")
    try pipeline.addTask(processes: 2) { (value: Int) throws -> Int in
        if value == option("fail-at", default: 500) { throw Refused(value: value) }
        return value
    }
    try pipeline.addDestination { (_: Int) in }
    try pipeline.start()
    let clock = ContinuousClock()
    let began = clock.now
    do {
        try pipeline.feed(contentsOf: 0..<option("items", default: 100_000))
        try pipeline.join()
        printJSON(["error": "none"])
    } catch {
        report(error, elapsed: clock.now - began)
    }
}

/// Every misuse with a started pipeline, each printed as `case code`.
func misuse() throws {
    let pipeline = Pipeline()
    try pipeline.addTask { (value: Int) in value + 1 }
    try pipeline.start()
    func attempt(_ name: String, _ body: () throws -> Void) {
        do {
            try body()
            print("\(name) ok")
        } catch let error as PipelineError {
            print("\(name) \(error.code) | \(error)")
        } catch {
            print("\(name) other | \(error)")
        }
    }
    attempt("add-after-start") { try pipeline.addTask { (value: Int) in value } }
    attempt("start-twice") { try pipeline.start() }
    attempt("feed-wrong-type") { try pipeline.feed("text") }
    attempt("results-wrong-type") { _ = try pipeline.asCompleted(as: String.self) }
    attempt("feed") { try pipeline.feed(contentsOf: [1, 2, 3]) }
    attempt("join") { try pipeline.join() }
    attempt("feed-after-join") { try pipeline.feed(4) }
    attempt("join-again") { try pipeline.join() }
    attempt("first-iteration") {
        print("first-count \(try pipeline.asCompleted(as: Int.self).reduce(0) { c, _ in c + 1 })")
    }
    attempt("second-iteration") {
        print("second-count \(try pipeline.asCompleted(as: Int.self).reduce(0) { c, _ in c + 1 })")
    }
}

/// A stage body that calls its own pipeline: once a deadlock (start() held the pipeline's lock
/// in the worker for ever), now a clear error that join reports.
func ownPipeline() throws {
    let pipeline = Pipeline(name: "self-aware")
    try pipeline.addTask { (value: Int) in
        _ = try pipeline.stats()
        return value
    }
    try pipeline.start()
    do {
        try pipeline.feed(contentsOf: 0..<10)
        try pipeline.join()
        printJSON(["error": "none"])
    } catch {
        report(error)
    }
}

/// A stage body that feeds another pipeline of its program directly instead of through
/// `Pipeline.send`: in the worker that pipeline does not run, so the items would vanish.
func feedsAnotherPipeline() throws {
    let second = Pipeline()
    try second.addTask { (value: Int) in value }
    try second.start()
    let first = Pipeline()
    try first.addTask { (value: Int) in
        try second.feed(value)
        return value
    }
    try first.start()
    do {
        try first.feed(contentsOf: 0..<5)
        try first.join()
        printJSON(["error": "none"])
    } catch {
        report(error)
    }
    _ = try? second.join()
}

/// A pipeline given the application's own Logger: every process's lines go through it (here
/// to standard output, at debug), none to MPETL's standard-error handler.
func ownLogger() throws {
    var logger = Logger(label: "app", factory: { StreamLogHandler.standardOutput(label: $0) })
    logger.logLevel = .debug
    let pipeline = Pipeline(name: "logged", logger: logger)
    try pipeline.addTask(processes: 2) { (value: Int) in value }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<10)
    try pipeline.join()
}

/// N results collected by join before anything reads them, then read.
func manyResults() throws {
    let items = option("items", default: 1_000_000)
    let pipeline = Pipeline(maxSize: option("max-size", default: 0) > 0 ? option("max-size", default: 0) : nil)
    try pipeline.addTask(processes: 2, chunkSize: option("chunk", default: 100)) { (value: Int) in value }
    try pipeline.start()
    try feedAndPrintCountAndSum(pipeline, items: items)
}

/// Feeds 0..<`items`, joins, and prints how many Int results came back and their sum.
func feedAndPrintCountAndSum(_ pipeline: Pipeline, items: Int) throws {
    try pipeline.feed(contentsOf: 0..<items)
    try pipeline.join()
    var count = 0
    var sum = 0
    for value in try pipeline.asCompleted(as: Int.self) {
        count += 1
        sum += value
    }
    printJSON(["count": count, "sum": sum])
}

/// A slow pipeline whose driver the test kills; prints its pid and blocks in feed.
func slowForever() throws {
    let pipeline = Pipeline(maxSize: 10)
    try pipeline.addTask(processes: 2) { (value: Int) in
        usleep(100_000)
        return value
    }
    try pipeline.addDestination(processes: 2) { (_: Int) in }
    try pipeline.start()
    print("driver \(getpid()) started")
    fflush(nil)
    try pipeline.feed(contentsOf: 0..<1_000_000)
}

let scenarios: [String: () throws -> Void] = [
    "exactly-once": exactlyOnce,
    "setup-teardown": setupTeardown,
    "emit-and-drop": emitAndDrop,
    "live": live,
    "throwing": throwing,
    "misuse": misuse,
    "own-pipeline": ownPipeline,
    "own-logger": ownLogger,
    "feeds-another-pipeline": feedsAnotherPipeline,
    "many-results": manyResults,
    "slow-forever": slowForever,
    "named-chain": namedChain,
    "named-fan-in": namedFanIn,
    "named-errors": namedErrors,
    "hosts": hosts,
    "policies": policies,
    "interruptible": interruptible,
    "chaos": chaos,
    "send-to-slow-receiver": sendToSlowReceiver,
    "blocked-upstream": blockedUpstream,
    "named-chaos": namedChaos,
    "buffered-writes": bufferedWrites,
    "poison": poison,
    "stuck-item": stuckItem,
    "inbox": inbox,
    "outbox": outbox,
    "outbox-from-driver": outboxFromDriver,
    "paused": paused,
    "suspended": suspended,
    "wide": wide,
    "long-lines": longLines,
    "many-pipelines": manyPipelines,
    "partial-reads": partialReads,
    "cancelled-read": cancelledRead,
    "big-item": bigItem,
    "stuck-before-start": stuckBeforeStart,
    "async-shapes": asyncShapes,
    "async-random-order": asyncRandomOrder,
    "async-driver": asyncDriver,
    "async-send": asyncSend,
    "named-stages": namedStages,
    "duplicate-stage-names": duplicateStageNames,
    "unbalanced": unbalanced,
]

guard CommandLine.arguments.count > 1, let scenario = scenarios[CommandLine.arguments[1]] else {
    print("usage: mpetl-test-programs <\(scenarios.keys.sorted().joined(separator: "|"))> [--option value]")
    exit(64)
}
do {
    try scenario()
} catch {
    // One JSON line the tests read, instead of a crash report.
    report(error)
    exit(1)
}
