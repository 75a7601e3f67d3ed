// Reading results in parts: a reader that leaves early must leave the rest for the next one.
import Foundation
import MPETL

/// One task of 2 processes, chunkSize `--chunk` (10), identity on Int; feeds 0..<1000, joins,
/// takes `--take` (305) results with a first iteration that breaks, then the rest with a
/// second; with `--async 1`, through `results(as:)` instead of `asCompleted`.
func partialReads() throws {
    let chunk = option("chunk", default: 10)
    let take = option("take", default: 305)
    let useAsync = option("async", default: 0) == 1
    let pipeline = Pipeline()
    try pipeline.addTask(processes: 2, chunkSize: chunk) { (value: Int) in value }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<1000)
    try pipeline.join()
    var first: [Int] = []
    var second: [Int] = []
    if useAsync {
        let box = ReadBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            var taken: [Int] = []
            for try await value in try pipeline.results(as: Int.self) {
                taken.append(value)
                if taken.count == take { break }
            }
            var rest: [Int] = []
            for try await value in try pipeline.results(as: Int.self) { rest.append(value) }
            box.store(taken, rest)
            done.signal()
        }
        done.wait()
        (first, second) = box.values
    } else {
        for value in try pipeline.asCompleted(as: Int.self) {
            first.append(value)
            if first.count == take { break }
        }
        second = Array(try pipeline.asCompleted(as: Int.self))
    }
    var expected: [Int: Int] = [:]
    for value in 0..<1000 { expected[value] = 1 }
    var result = compare(first + second, expected: expected)
    result["first"] = first.count
    result["second"] = second.count
    printJSON(result)
}

/// Two reads handed from a task to the main thread.
final class ReadBox: @unchecked Sendable {
    private let lock = NSLock()
    private var first: [Int] = []
    private var second: [Int] = []

    func store(_ first: [Int], _ second: [Int]) {
        lock.lock()
        defer { lock.unlock() }
        (self.first, self.second) = (first, second)
    }

    var values: ([Int], [Int]) {
        lock.lock()
        defer { lock.unlock() }
        return (first, second)
    }
}

/// A reader of `results(as:)` cancelled while it waits: it must stop at once and take nothing.
/// One task taking 1 s per item, 3 items; the reader is cancelled 100 ms in.
func cancelledRead() throws {
    let pipeline = Pipeline()
    try pipeline.addTask { (value: Int) in
        usleep(1_000_000)
        return value
    }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<3)
    let results = try pipeline.results(as: Int.self)
    let box = ReadBox()
    let done = DispatchSemaphore(value: 0)
    let began = ContinuousClock.now
    let reader = Task {
        var taken: [Int] = []
        do {
            for try await value in results { taken.append(value) }
        } catch {}
        box.store(taken, [])
        done.signal()
    }
    usleep(100_000)
    reader.cancel()
    done.wait()
    let waited = ContinuousClock.now - began
    try pipeline.join()
    let rest = Array(try pipeline.asCompleted(as: Int.self)).sorted()
    printJSON([
        "cancelledTook": box.values.0.count, "rest": rest,
        "cancelledAfterMs": Int(waited / .milliseconds(1)),
    ])
}
