import Foundation
import MPETL

/// Workloads about where work goes: a stuck item, and workers of different speeds.
enum DemandWorkloads {
    /// The stuck-item input: `Pipeline(maxSize: 4)`, a task of 2 processes whose body never
    /// returns for item 7 and takes 2 ms otherwise, fed 0..<200. Run in a child process (the
    /// pipeline can never finish): it feeds from a thread, waits until no item has finished for
    /// a second, prints how many did and what `stats()` says, and exits, taking its workers.
    static let stuckRole = "--stuck-child"

    static func stuck(maxSize: Int) throws -> Probes.Line {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = [stuckRole, "\(maxSize)"]
        let output = Pipe()
        child.standardOutput = output
        try child.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        let fields = (try? JSONSerialization.jsonObject(with: data)) as? [String: Double] ?? [:]
        guard child.terminationStatus == 0, fields["finished"] != nil else {
            throw BenchError(
                "the stuck-item child failed (status \(child.terminationStatus)): "
                    + "\(String(decoding: data, as: UTF8.self))"
            )
        }
        return Probes.Line(name: "stuck", fields: fields)
    }

    static func runStuckChild(maxSize: Int) throws -> Never {
        let pipeline = Pipeline(maxSize: maxSize)
        try pipeline.addTask(processes: 2) { (value: Int) -> Int in
            if value == 7 {
                while true { sleep(60) }
            }
            usleep(2_000)
            return value
        }
        try pipeline.start()
        let feeder = Thread { try? pipeline.feed(contentsOf: 0..<200) }
        feeder.start()
        let began = ContinuousClock.now
        var finished: UInt64 = 0
        var lastChange = ContinuousClock.now
        // Until nothing finished for a second: the stuck worker's window never will.
        while ContinuousClock.now - lastChange < .seconds(1), ContinuousClock.now - began < .seconds(60) {
            Thread.sleep(forTimeInterval: 0.05)
            let now = try pipeline.stats().stages[0].itemsOut
            if now != finished {
                finished = now
                lastChange = .now
            }
        }
        let stage = try pipeline.stats().stages[0]
        let object: [String: Double] = [
            "max_size": Double(maxSize), "finished": Double(finished), "fed": 200,
            "queue_depth": Double(stage.queueDepth),
            "seconds_to_last": (lastChange - began) / .seconds(1),
        ]
        print(
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        fflush(nil)
        // The stuck item never ends: leaving ends the workers too (they die with their driver).
        exit(0)
    }

    /// A sample of the mixed-speed stage: which worker ran the item and for how long.
    struct Timed: Codable, Sendable {
        var slow: Bool
        var nanoseconds: UInt64
    }

    /// 20,000 items through a task of 2 processes, one of which takes 4× as long per item
    /// (100 and 400 µs of CPU); compares the throughput with the sum of the two workers' own
    /// rates (items over time spent in the body, each).
    static func mixed(items: Int) throws -> Probes.Line? {
        let claim = NSTemporaryDirectory() + "mpetl-bench-mixed-\(Pipeline.isWorkerProcess ? getppid() : getpid())"
        let pipeline = Pipeline()
        try pipeline.addTask(
            processes: 2,
            setup: {
                // The first worker to claim the file is the slow one.
                let descriptor = open(claim, O_CREAT | O_EXCL | O_WRONLY, 0o600)
                if descriptor >= 0 { close(descriptor) }
                return descriptor >= 0
            }
        ) { (value: Int, slow: Bool) -> Timed in
            let began = SharedClock.nanoseconds
            SharedClock.burnCPU(microseconds: slow ? 400 : 100)
            return Timed(slow: slow, nanoseconds: SharedClock.nanoseconds - began)
        }
        try pipeline.start()
        guard !Pipeline.isWorkerProcess else { return nil }
        defer { unlink(claim) }
        let wall = try seconds {
            try pipeline.feed(contentsOf: 0..<items)
            try pipeline.join()
        }
        let samples = Array(try pipeline.asCompleted(as: Timed.self))
        func ownRate(slow: Bool) -> Double {
            let mine = samples.filter { $0.slow == slow }
            let busy = Double(mine.reduce(0) { $0 + $1.nanoseconds }) / 1e9
            return busy > 0 ? Double(mine.count) / busy : 0
        }
        let throughput = Double(items) / wall
        let sum = ownRate(slow: false) + ownRate(slow: true)
        return Probes.Line(
            name: "mixed",
            fields: [
                "items": Double(items), "items_per_s": throughput.rounded(),
                "fast_own_rate": ownRate(slow: false).rounded(), "slow_own_rate": ownRate(slow: true).rounded(),
                "slow_share": Double(samples.count { $0.slow }) / Double(max(1, samples.count)),
                "ratio_to_sum_of_own_rates": sum > 0 ? throughput / sum : 0,
            ])
    }
}
