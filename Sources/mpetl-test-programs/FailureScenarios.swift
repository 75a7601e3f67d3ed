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
    let mode = stringOption("policy", default: "fail")
    let policy: ErrorPolicy =
        switch mode {
        case "skip": .skip
        case "retry", "retry-flaky": .retry(2)
        default: .fail
        }
    let flaky = mode == "retry-flaky"
    let pipeline = Pipeline(name: "policies")
    if CommandLine.arguments.contains("--async") {
        try pipeline.addTask(processes: 2, chunkSize: 7, concurrency: 16, onError: policy) {
            (value: Int, emit: Emitter<Int>) async throws in
            emit(value)
            try await jitter(upTo: 50)
            if value % 1_000 == 999 {
                let first = failedOnce.withLock { $0.insert(value).inserted }
                if !flaky || first { throw Refused(value: value) }
            }
        }
    } else {
        try pipeline.addTask(processes: 2, chunkSize: 7, onError: policy) { (value: Int, emit: Emitter<Int>) in
            // Emits before throwing: a retried or skipped attempt must leave no trace.
            emit(value)
            if value % 1_000 == 999 {
                let first = failedOnce.withLock { $0.insert(value).inserted }
                if !flaky || first { throw Refused(value: value) }
            }
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
        result["skippedErrors"] =
            Set(report.skipped.map(\.error)).count == report.skipped.count ? "distinct" : "repeated"
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
    try pipeline.addTask(
        processes: 2, setup: { Handled() },
        teardown: { handled in
            print("teardown pid=\(getpid()) handled=\(handled.count)")
            fflush(nil)
        }
    ) { (value: Int, handled: Handled) in
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

/// Busy for `microseconds` of wall time: stage work that takes the CPU, as real work would.
func spin(microseconds: Int) {
    let deadline = ContinuousClock.now + .microseconds(microseconds)
    while ContinuousClock.now < deadline {}
}

/// The chaos run: `--items` (200,000) through an origin, a task and a destination of 3
/// workers each, about 50 µs of work per item in all, while the test kills workers. The task
/// emits two values for even items, so replays must re-create emitted items' ids exactly; with
/// `--skip-every N` it also throws for every N-th item under the skip policy; `--deep` adds a
/// relay task (passing each value on) before the destination.
/// Prints "started" once it feeds, then how the results compare with the expected multiset.
func chaos() throws {
    let items = option("items", default: 200_000)
    let work = option("work-us", default: 17)
    let chunk = option("chunk", default: 20)
    let skipEvery = option("skip-every", default: 0)
    let skips: @Sendable (Int) -> Bool = { item in skipEvery > 0 && item % skipEvery == 0 }
    let pipeline = Pipeline(name: "chaos")
    try pipeline.addOrigin(processes: 3, chunkSize: chunk) { (value: Int) in
        spin(microseconds: work)
        return value * 3
    }
    if CommandLine.arguments.contains("--async") {
        // The same task, async: 16 items in flight per worker, finishing in any order.
        try pipeline.addTask(
            processes: 3, chunkSize: chunk, concurrency: 16, onError: skipEvery > 0 ? .skip : .fail
        ) { (value: Int, emit: Emitter<Int>) async throws in
            try await jitter(upTo: 4 * work)
            if skips(value / 3) { throw Refused(value: value / 3) }
            emit(value + 1)
            if value % 2 == 0 { emit(-(value + 1)) }
        }
    } else {
        try pipeline.addTask(processes: 3, chunkSize: chunk, onError: skipEvery > 0 ? .skip : .fail) {
            (value: Int, emit: Emitter<Int>) in
            spin(microseconds: work)
            if skips(value / 3) { throw Refused(value: value / 3) }
            emit(value + 1)
            if value % 2 == 0 { emit(-(value + 1)) }
        }
    }
    if CommandLine.arguments.contains("--deep") {
        try pipeline.addTask(name: "relay", processes: 2, chunkSize: chunk) { (value: Int) in
            spin(microseconds: work / 2)
            return value
        }
    }
    try pipeline.addDestination(processes: 3, chunkSize: chunk) { (value: Int) in
        spin(microseconds: work)
        return value
    }
    try pipeline.start()
    print("started")
    fflush(nil)
    let began = ContinuousClock.now
    try pipeline.feed(contentsOf: 0..<items)
    let report = try pipeline.join()
    let elapsed = ContinuousClock.now - began
    var expected: [Int: Int] = [:]
    for value in 0..<items where !skips(value) {
        expected[3 * value + 1] = 1
        if value % 2 == 0 { expected[-(3 * value + 1)] = 1 }
    }
    var result = compare(Array(try pipeline.asCompleted(as: Int.self)), expected: expected)
    result["seconds"] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    result["itemsIn"] = report.stats.stages.map { Int($0.itemsIn) }
    result["itemsOut"] = report.stats.stages.map { Int($0.itemsOut) }
    result["replayed"] = report.stats.stages.map { Int($0.replayed) }
    result["queues"] = report.stats.stages.map { Int($0.queueDepth) }
    result["workersLost"] = report.stats.stages.reduce(0) { $0 + $1.workersLost }
    result["skippedCount"] = report.skippedCount
    result["skippedDistinct"] = Set(report.skipped.map(\.item)).count
    printJSON(result)
}

/// Chaos across `Pipeline.send`: a 3-worker sender pipeline sends every fed item to a named
/// 3-worker receiver, while the test kills workers of both. Prints "started", then how the
/// receiver's results compare with what was fed.
func namedChaos() throws {
    let items = option("items", default: 100_000)
    let work = option("work-us", default: 25)
    let sender = Pipeline()
    try sender.addTask(processes: 3, chunkSize: 20) { (value: Int) in
        spin(microseconds: work)
        try Pipeline.send("chaos-inbox", value)
    }
    let receiver = Pipeline(name: "chaos-inbox")
    try receiver.addTask(processes: 3, chunkSize: 20) { (value: Int) in
        spin(microseconds: work)
        return value * 7
    }
    try sender.start()
    try receiver.start()
    print("started")
    fflush(nil)
    try sender.feed(contentsOf: 0..<items)
    let sent = try sender.join()
    let received = try receiver.join()
    var expected: [Int: Int] = [:]
    for value in 0..<items { expected[value * 7] = 1 }
    var result = compare(Array(try receiver.asCompleted(as: Int.self)), expected: expected)
    result["workersLost"] = (sent.stats.stages + received.stats.stages).reduce(0) { $0 + $1.workersLost }
    printJSON(result)
}

/// Values a destination holds back and appends to a file of its own on commit (and at teardown).
class ValueBuffer: @unchecked Sendable {  // used by one worker thread only
    private var pending: [Int] = []
    private let path: String

    init(folder: String) {
        path = "\(folder)/values-\(getpid()).txt"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
    }

    func add(_ value: Int) { pending.append(value) }

    func write() throws {
        guard !pending.isEmpty, let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(pending.map { "\($0)\n" }.joined().utf8))
        pending.removeAll()
    }
}

/// The same, telling the worker to commit it before acknowledging.
final class CommittingValueBuffer: ValueBuffer, Committing, @unchecked Sendable {
    func commit() throws { try write() }
}

/// A destination that buffers writes, while the test kills one of its workers: prints
/// "started", then how many fed values no file holds. With `--no-commit` the buffer is not
/// `Committing`, so a killed worker's buffer is lost.
func bufferedWrites() throws {
    let items = option("items", default: 60_000)
    let commits = !CommandLine.arguments.contains("--no-commit")
    let folder = NSTemporaryDirectory() + "mpetl-buffered-\(Pipeline.isWorkerProcess ? getppid() : getpid())"
    if !Pipeline.isWorkerProcess {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    let pipeline = Pipeline()
    try pipeline.addTask(processes: 2, chunkSize: 10) { (value: Int) in
        spin(microseconds: 40)
        return value
    }
    if CommandLine.arguments.contains("--async") {
        try addAsyncBufferingDestination(to: pipeline, folder: folder)
    } else {
        try pipeline.addDestination(
            processes: 2, chunkSize: 10,
            setup: { commits ? CommittingValueBuffer(folder: folder) : ValueBuffer(folder: folder) },
            teardown: { try $0.write() }
        ) { (value: Int, buffer: ValueBuffer) in
            buffer.add(value)
        }
    }
    try pipeline.start()
    print("started")
    fflush(nil)
    try pipeline.feed(contentsOf: 0..<items)
    try pipeline.join()
    var written = Set<Int>()
    for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
        let text = try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
        for line in text.split(separator: "\n") { if let value = Int(line) { written.insert(value) } }
    }
    try? FileManager.default.removeItem(atPath: folder)
    printJSON(["missing": (0..<items).filter { !written.contains($0) }.count])
}
