// Async stage bodies: every shape, many items in flight per worker, error policies and
// committing state, as real multi-process runs.
import Foundation
import MPETL
import Synchronization

/// Async setup calls in this process.
let asyncSetupCalls = Atomic<Int>(0)

/// A few hundred microseconds of waiting at random, so items in flight finish out of order.
@Sendable func jitter(upTo microseconds: Int = 400) async throws {
    try await Task.sleep(for: .microseconds(Int.random(in: 0...microseconds)))
}

/// State an async stage shares among its concurrent items: an offset its bodies add, and the
/// sum of what a consuming body saw (printed at teardown).
final class AsyncShapeState: Sendable {
    let offset = 1_000
    let setupCall: Int
    let consumed = Atomic<Int>(0)
    init(setupCall: Int) { self.setupCall = setupCall }
}

enum AsyncShape: String, CaseIterable {
    case returning, mapping, consuming, emitting

    /// What the stage passes on for `values`, with `offset` added (nil: it passes nothing).
    func expected(_ values: Range<Int>, offset: Int) -> [Int]? {
        switch self {
        case .returning: values.filter { $0 % 5 != 0 }.map { $0 + offset }
        case .mapping: values.map { $0 + offset }
        case .consuming: nil
        case .emitting: values.flatMap { [$0 + offset, $0 + offset] }
        }
    }
}

/// Adds one async stage of `kind` ("origin", "task", "destination") with `shape`, stateful or
/// not, to `pipeline`: 2 processes, 8 items in flight each.
func addAsyncStage(_ kind: String, _ shape: AsyncShape, stateful: Bool, to pipeline: Pipeline, tag: String)
    throws
{
    let setup: @Sendable () async throws -> AsyncShapeState = {
        try await jitter()
        let call = asyncSetupCalls.add(1, ordering: .relaxed).newValue
        print("async-setup \(tag) pid=\(getpid()) call=\(call)")
        fflush(nil)
        return AsyncShapeState(setupCall: call)
    }
    let teardown: @Sendable (AsyncShapeState) async throws -> Void = { state in
        try await jitter()
        let consumed = state.consumed.load(ordering: .relaxed)
        print("async-teardown \(tag) pid=\(getpid()) setup=\(state.setupCall) consumed=\(consumed)")
        fflush(nil)
    }
    func add(
        origin: () throws -> Void, task: () throws -> Void, destination: () throws -> Void
    ) throws {
        switch kind {
        case "origin": try origin()
        case "task": try task()
        default: try destination()
        }
    }
    switch (shape, stateful) {
    case (.returning, false):
        let body: @Sendable (Int) async throws -> Int? = { value in
            try await jitter()
            return value % 5 == 0 ? nil : value
        }
        try add(
            origin: { try pipeline.addOrigin(processes: 2, concurrency: 8, body) },
            task: { try pipeline.addTask(processes: 2, concurrency: 8, body) },
            destination: { try pipeline.addDestination(processes: 2, concurrency: 8, body) })
    case (.returning, true):
        let body: @Sendable (Int, AsyncShapeState) async throws -> Int? = { value, state in
            try await jitter()
            return value % 5 == 0 ? nil : value + state.offset
        }
        try add(
            origin: { try pipeline.addOrigin(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body) },
            task: { try pipeline.addTask(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body) },
            destination: {
                try pipeline.addDestination(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body)
            })
    case (.mapping, false):
        let body: @Sendable (Int) async throws -> Int = { value in
            try await jitter()
            return value
        }
        try add(
            origin: { try pipeline.addOrigin(processes: 2, concurrency: 8, body) },
            task: { try pipeline.addTask(processes: 2, concurrency: 8, body) },
            destination: { try pipeline.addDestination(processes: 2, concurrency: 8, body) })
    case (.mapping, true):
        let body: @Sendable (Int, AsyncShapeState) async throws -> Int = { value, state in
            try await jitter()
            return value + state.offset
        }
        try add(
            origin: { try pipeline.addOrigin(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body) },
            task: { try pipeline.addTask(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body) },
            destination: {
                try pipeline.addDestination(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body)
            })
    case (.consuming, false):
        let body: @Sendable (Int) async throws -> Void = { _ in try await jitter() }
        try add(
            origin: { try pipeline.addOrigin(processes: 2, concurrency: 8, body) },
            task: { try pipeline.addTask(processes: 2, concurrency: 8, body) },
            destination: { try pipeline.addDestination(processes: 2, concurrency: 8, body) })
    case (.consuming, true):
        let body: @Sendable (Int, AsyncShapeState) async throws -> Void = { value, state in
            try await jitter()
            state.consumed.add(value, ordering: .relaxed)
        }
        try add(
            origin: { try pipeline.addOrigin(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body) },
            task: { try pipeline.addTask(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body) },
            destination: {
                try pipeline.addDestination(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body)
            })
    case (.emitting, false):
        let body: @Sendable (Int, Emitter<Int>) async throws -> Void = { value, emit in
            emit(value)
            try await jitter()
            emit(value)
        }
        try add(
            origin: { try pipeline.addOrigin(processes: 2, concurrency: 8, body) },
            task: { try pipeline.addTask(processes: 2, concurrency: 8, body) },
            destination: { try pipeline.addDestination(processes: 2, concurrency: 8, body) })
    case (.emitting, true):
        let body: @Sendable (Int, AsyncShapeState, Emitter<Int>) async throws -> Void = { value, state, emit in
            emit(value + state.offset)
            try await jitter()
            emit(value + state.offset)
        }
        try add(
            origin: { try pipeline.addOrigin(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body) },
            task: { try pipeline.addTask(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body) },
            destination: {
                try pipeline.addDestination(processes: 2, concurrency: 8, setup: setup, teardown: teardown, body)
            })
    }
}

/// One single-stage pipeline per async shape, kind and state (24), run one after the other;
/// prints each one's outcome against what its shape must pass on.
func asyncShapes() throws {
    let items = option("items", default: 300)
    var outcomes: [String: String] = [:]
    for kind in ["origin", "task", "destination"] {
        for shape in AsyncShape.allCases {
            for stateful in [false, true] {
                let tag = "\(kind)-\(shape.rawValue)-\(stateful ? "state" : "plain")"
                let pipeline = Pipeline(name: tag)
                try addAsyncStage(kind, shape, stateful: stateful, to: pipeline, tag: tag)
                try pipeline.start()
                try pipeline.feed(contentsOf: 0..<items)
                let report = try pipeline.join()
                let itemsIn = Int(report.stats.stages.first?.itemsIn ?? 0)
                guard let expected = shape.expected(0..<items, offset: stateful ? 1_000 : 0) else {
                    outcomes[tag] = itemsIn == items ? "ok" : "consumed \(itemsIn) of \(items)"
                    continue
                }
                let results = Array(try pipeline.asCompleted(as: Int.self))
                outcomes[tag] =
                    results.sorted() == expected.sorted()
                    ? "ok" : "got \(results.count) results, expected \(expected.count)"
            }
        }
    }
    printJSON(["outcomes": outcomes])
}

/// 2 processes × `concurrency` items in flight, each waiting a random few milliseconds, so
/// items finish in any order; checks the multiset. Prints "started" once running (for a test
/// that kills a worker).
func asyncRandomOrder() throws {
    let items = option("items", default: 20_000)
    let concurrency = option("concurrency", default: 64)
    let waitMicroseconds = option("wait-us", default: 3_000)
    let pipeline = Pipeline()
    try pipeline.addTask(processes: 2, concurrency: concurrency) { (value: Int) async throws in
        try await jitter(upTo: waitMicroseconds)
        return Tagged(value: value, pid: getpid())
    }
    try pipeline.addDestination { (tagged: Tagged) in tagged }
    try pipeline.start()
    print("started")
    fflush(nil)
    let began = ContinuousClock.now
    try pipeline.feed(contentsOf: 0..<items)
    try pipeline.join()
    let elapsed = ContinuousClock.now - began
    var seen = [Int](repeating: 0, count: items)
    var inOrder = 0
    var previous = -1
    for tagged in try pipeline.asCompleted(as: Tagged.self) {
        if seen.indices.contains(tagged.value) { seen[tagged.value] += 1 }
        if tagged.value > previous { inOrder += 1 }
        previous = tagged.value
    }
    printJSON([
        "missing": seen.filter { $0 == 0 }.count,
        "duplicated": seen.filter { $0 > 1 }.count,
        "ascendingSteps": inOrder,
        "seconds": Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
    ])
}

/// Values an async destination holds back and appends to a file of its own on commit: a
/// ``ValueBuffer`` its items, in flight together, reach through the actor.
actor AsyncValueBuffer: AsyncCommitting {
    private let buffer: ValueBuffer

    init(folder: String) { buffer = ValueBuffer(folder: folder) }

    func add(_ value: Int) { buffer.add(value) }

    func commit() async throws { try buffer.write() }
}

/// Adds `buffered-writes --async`'s destination: async, 16 items in flight, committing.
func addAsyncBufferingDestination(to pipeline: Pipeline, folder: String) throws {
    try pipeline.addDestination(
        processes: 2, chunkSize: 10, concurrency: 16,
        setup: { AsyncValueBuffer(folder: folder) },
        teardown: { try await $0.commit() }
    ) { (value: Int, buffer: AsyncValueBuffer) async in
        await buffer.add(value)
    }
}

/// A driver written with async/await: pipelines started, fed from an async sequence and one
/// item at a time, joined and read through `pipeline.async`, while a ticker task counts the
/// milliseconds it got to run meanwhile. As many pipelines are fed and joined at once as the
/// concurrency pool has threads (one per core), so calls that blocked pool threads while
/// backpressure held the feed, or until the join, would stop the ticker.
func asyncDriver() throws {
    let items = option("items", default: 3_000)
    let count = max(2, ProcessInfo.processInfo.activeProcessorCount)
    let finished = DispatchSemaphore(value: 0)
    let outcome = Mutex<[String: Any]?>(nil)
    Task {
        do {
            var pipelines: [Pipeline] = []
            for _ in 0..<count {
                let pipeline = Pipeline()
                try pipeline.addTask(processes: 1, concurrency: 16) { (value: Int) async throws in
                    try await jitter(upTo: 4_000)
                    return value * 2
                }
                try await pipeline.async.start()
                pipelines.append(pipeline)
            }
            let ticks = Atomic<Int>(0)
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(1))
                    ticks.add(1, ordering: .relaxed)
                }
            }
            let began = ContinuousClock.now
            // Each pipeline fed (held back by backpressure) and joined at once, concurrently.
            let reports = try await withThrowingTaskGroup(of: JoinReport.self) { group in
                for pipeline in pipelines {
                    group.addTask {
                        let stream = AsyncStream<Int> { continuation in
                            for value in 0..<items - 1 { continuation.yield(value) }
                            continuation.finish()
                        }
                        try await pipeline.async.feed(contentsOf: stream, handOff: 100)
                        try await pipeline.async.feed(items - 1)
                        return try await pipeline.async.join()
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let runSeconds = (ContinuousClock.now - began) / .seconds(1)
            let ticksDuringRun = ticks.load(ordering: .relaxed)
            ticker.cancel()
            var exact = 0
            for pipeline in pipelines {
                var values: [Int] = []
                for try await value in try pipeline.async.results(as: Int.self) { values.append(value) }
                if values.sorted() == (0..<items).map({ $0 * 2 }) { exact += 1 }
            }
            outcome.withLock {
                $0 = [
                    "pipelines": count, "exact": exact,
                    "itemsIn": reports.map { Int($0.stats.stages.first?.itemsIn ?? 0) },
                    "ticksDuringRun": ticksDuringRun, "runSeconds": runSeconds,
                ]
            }
        } catch {
            outcome.withLock { $0 = ["error": "\(error)"] }
        }
        finished.signal()
    }
    finished.wait()
    printJSON(outcome.withLock { $0 } ?? [:])
}

/// An async body that calls `Pipeline.send`, which it cannot yet: prints the error.
func asyncSend() throws {
    let pipeline = Pipeline()
    try pipeline.addTask(concurrency: 4) { (value: Int) async throws in try Pipeline.send("elsewhere", value) }
    let elsewhere = Pipeline(name: "elsewhere")
    try elsewhere.addTask { (value: Int) in value }
    try pipeline.start()
    try elsewhere.start()
    do {
        try pipeline.feed(contentsOf: 0..<10)
        try pipeline.join()
        printJSON(["error": "the send was not refused"])
    } catch {
        report(error)
    }
}
