import Foundation
import MPETL

/// Prints `name outcome` for a call whose error is the point (driver only: workers run the
/// same code, and their output would interleave).
func attempt(_ name: String, _ body: () throws -> Void) {
    let outcome: String
    do {
        try body()
        outcome = "ok"
    } catch let error as PipelineError {
        let cause = error.cause.map { " | cause \($0.type) \($0.code?.description ?? "-")" } ?? ""
        outcome = "\(error.code) | \(error)\(cause)"
    } catch {
        outcome = "other | \(error)"
    }
    if !Pipeline.isWorkerProcess { print("\(name) \(outcome)") }
}

/// Counts how often each value in 0..<expected.count arrived against how often it should have.
func compare(_ values: [Int], expected: [Int: Int]) -> [String: Any] {
    var seen: [Int: Int] = [:]
    for value in values { seen[value, default: 0] += 1 }
    let missing = expected.filter { seen[$0.key, default: 0] < $0.value }.count
    let extra = seen.filter { $0.value > expected[$0.key, default: 0] }.count
    return ["count": values.count, "missing": missing, "extra": extra]
}

/// A sends to B, B sends to C; C's outputs must be exactly {2i + 1}.
func namedChain() throws {
    let items = option("items", default: 50_000)
    let a = Pipeline()
    try a.addTask(processes: 2) { (value: Int) in try Pipeline.send("b", value * 2) }
    let b = Pipeline(name: "b")
    try b.addTask(processes: 2, chunkSize: 10) { (value: Int) in try Pipeline.send("c", value + 1) }
    let c = Pipeline(name: "c")
    try c.addTask(processes: 2, chunkSize: 50) { (value: Int) in value }
    try a.start()
    try b.start()
    try c.start()
    try a.feed(contentsOf: 0..<items)
    try a.join()
    try b.join()
    try c.join()
    let results = Array(try c.asCompleted(as: Int.self))
    var expected: [Int: Int] = [:]
    for value in 0..<items { expected[2 * value + 1] = 1 }
    printJSON(compare(results, expected: expected))
}

/// Two senders with 2 workers each put `items` values each into one receiver, whose results
/// are read live on another thread while the driver joins the senders.
func namedFanIn() throws {
    let items = option("items", default: 20_000)
    let left = Pipeline()
    try left.addTask(processes: 2) { (value: Int) in try Pipeline.send("sink", value) }
    let right = Pipeline()
    try right.addTask(processes: 2, chunkSize: 20) { (value: Int) in try Pipeline.send("sink", contentsOf: [value]) }
    let sink = Pipeline(name: "sink")
    try sink.addTask(processes: 2, chunkSize: 25) { (value: Int) in value }
    try left.start()
    try right.start()
    try sink.start()
    try left.feed(contentsOf: 0..<items)
    try right.feed(contentsOf: items..<(2 * items))
    let live = try sink.asCompleted(as: Int.self)
    let collected = Collected()
    let reader = Thread { collected.store(Array(live)) }
    reader.start()
    try left.join()
    try right.join()
    try sink.join()
    let results = collected.wait()
    var expected: [Int: Int] = [:]
    for value in 0..<(2 * items) { expected[value] = 1 }
    printJSON(compare(results, expected: expected))
}

/// Results handed from a reader thread to the main thread.
final class Collected: @unchecked Sendable {
    private let condition = NSCondition()
    private var values: [Int]?

    func store(_ values: [Int]) {
        condition.lock()
        self.values = values
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> [Int] {
        condition.lock()
        defer { condition.unlock() }
        while values == nil { condition.wait() }
        return values!
    }
}

/// Every named-pipeline misuse, each printed as `case outcome`.
func namedErrors() throws {
    // A join order that can never complete, then the right order.
    let sender = Pipeline()
    try sender.addTask { (text: String) in try Pipeline.send("receiver", text) }
    let receiver = Pipeline(name: "receiver")
    try receiver.addTask { (text: String) in text.uppercased() }
    try sender.start()
    try receiver.start()
    try sender.feed("hello")
    attempt("join-receiver-first") { try receiver.join() }
    attempt("join-sender") { try sender.join() }
    attempt("join-receiver") { try receiver.join() }
    if !Pipeline.isWorkerProcess {
        print("receiver-results \(try receiver.asCompleted(as: String.self).joined(separator: ","))")
    }

    // Two running pipelines with one name.
    let twin = Pipeline(name: "twin")
    try twin.addTask { (value: Int) in value }
    try twin.start()
    let otherTwin = Pipeline(name: "twin")
    try otherTwin.addTask { (value: Int) in value }
    attempt("duplicate-name") { try otherTwin.start() }
    attempt("twin-join") { try twin.join() }

    // From the driver: a running pipeline, a joined one, and a name nobody has.
    let direct = Pipeline(name: "direct")
    try direct.addTask { (value: Int) in value * 10 }
    try direct.start()
    attempt("driver-send") { try Pipeline.send("direct", contentsOf: [1, 2]) }
    attempt("driver-send-wrong-type") { try Pipeline.send("direct", "text") }
    attempt("direct-join") { try direct.join() }
    if !Pipeline.isWorkerProcess { print("direct-results \(try direct.asCompleted(as: Int.self).sorted())") }
    attempt("driver-send-after-join") { try Pipeline.send("direct", 3) }
    attempt("driver-send-unknown") { try Pipeline.send("nobody", 3) }

    // From a worker: a finished pipeline, and a name nobody registers.
    let late = Pipeline()
    try late.addTask { (value: Int) in try Pipeline.send("direct", value) }
    try late.start()
    try late.feed(1)
    attempt("send-to-finished") { try late.join() }

    let lost = Pipeline()
    try lost.addTask { (value: Int) in try Pipeline.send("nobody", value) }
    try lost.start()
    try lost.feed(1)
    let started = ContinuousClock.now
    attempt("send-to-unknown") { try lost.join() }
    if !Pipeline.isWorkerProcess {
        print("send-to-unknown-seconds \((ContinuousClock.now - started).components.seconds)")
    }

    // A pipeline sending to itself could never finish.
    let narcissus = Pipeline(name: "narcissus")
    try narcissus.addTask { (value: Int) in try Pipeline.send("narcissus", value) }
    try narcissus.start()
    try narcissus.feed(1)
    attempt("send-to-itself") { try narcissus.join() }

    // The receiver's first stage takes Int; a String is refused where it is sent.
    let typed = Pipeline(name: "typed")
    try typed.addTask { (value: Int) in value }
    let wrongType = Pipeline()
    try wrongType.addTask { (text: String) in try Pipeline.send("typed", text) }
    try typed.start()
    try wrongType.start()
    try wrongType.feed("seven")
    attempt("send-wrong-type") { try wrongType.join() }
    attempt("typed-join") { try typed.join() }

    // Two pipelines sending to each other could never finish.
    let ping = Pipeline(name: "ping")
    try ping.addTask { (value: Int) in try Pipeline.send("pong", value) }
    let pong = Pipeline(name: "pong")
    try pong.addTask { (value: Int) in try Pipeline.send("ping", value + 1) }
    try ping.start()
    try pong.start()
    try ping.feed(1)
    attempt("cycle-ping") { try ping.join() }
    attempt("cycle-pong") { try pong.join() }
}

/// Items tagged with the host that processed them: origin → task (2 declared workers, plus
/// any worker host's slots) → destination. Prints the multiset check and items per host.
func hosts() throws {
    struct Stamped: Codable, Sendable {
        var value: Int
        var host: String
    }
    let items = option("items", default: 20_000)
    let pipeline = Pipeline()
    try pipeline.addOrigin { (value: Int) in value }
    try pipeline.addTask(processes: 2, chunkSize: 10) { (value: Int) -> Stamped in
        usleep(UInt32(option("work-us", default: 0)))
        return Stamped(value: value, host: ProcessInfo.processInfo.environment["MPETL_HOST"] ?? "driver-host")
    }
    try pipeline.addDestination(chunkSize: 10) { (stamped: Stamped) in stamped }
    try pipeline.start()
    try pipeline.feed(contentsOf: 0..<items)
    try pipeline.join()
    var perHost: [String: Int] = [:]
    var values: [Int] = []
    for stamped in try pipeline.asCompleted(as: Stamped.self) {
        perHost[stamped.host, default: 0] += 1
        values.append(stamped.value)
    }
    var expected: [Int: Int] = [:]
    for value in 0..<items { expected[value] = 1 }
    var result = compare(values, expected: expected)
    result["perHost"] = perHost
    printJSON(result)
}

/// Another program's stages send `--items` values into this program's "inbox" through a shared
/// coordinator; once they have all arrived, join and check them.
func inbox() throws {
    let items = option("items", default: 1_000)
    let inbox = Pipeline(name: "inbox")
    try inbox.addTask(processes: 2) { (value: Int) in value }
    try inbox.start()
    print("inbox ready")
    fflush(nil)
    // A long-lived receiver would never join; this one joins once everything has arrived.
    let deadline = ContinuousClock.now + .seconds(60)
    while try inbox.stats().stages.first.map(\.itemsIn) ?? 0 < UInt64(items), ContinuousClock.now < deadline {
        usleep(20_000)
    }
    try inbox.join()
    var expected: [Int: Int] = [:]
    for value in 0..<items { expected[value] = 1 }
    printJSON(compare(Array(try inbox.asCompleted(as: Int.self)), expected: expected))
}

/// Sends `--items` values from its stages to the "inbox" another program runs.
func outbox() throws {
    let items = option("items", default: 1_000)
    let outbox = Pipeline()
    try outbox.addTask(processes: 2) { (value: Int) in try Pipeline.send("inbox", value) }
    try outbox.start()
    try outbox.feed(contentsOf: 0..<items)
    try outbox.join()
    printJSON(["sent": items])
}

/// Sends `--items` values from the driver itself, with no pipeline of its own, to the
/// "inbox" another program runs.
func outboxFromDriver() throws {
    let items = option("items", default: 1_000)
    try Pipeline.send("inbox", contentsOf: 0..<items)
    printJSON(["sent": items])
}

/// One item whose body sends 2,000 values to "slow-sink", which takes 1 ms each: the send
/// waits for room for about two seconds, past the worker's progress interval. Prints the
/// count the sink received.
func sendToSlowReceiver() throws {
    let sender = Pipeline()
    try sender.addTask { (count: Int) in try Pipeline.send("slow-sink", contentsOf: 0..<count) }
    let sink = Pipeline(name: "slow-sink")
    try sink.addTask(chunkSize: 10) { (value: Int) in
        usleep(1_000)
        return value
    }
    try sender.start()
    try sink.start()
    try sender.feed(2_000)
    try sender.join()
    try sink.join()
    printJSON(["received": Array(try sink.asCompleted(as: Int.self)).count])
}
