import Foundation
import MPETL

/// Two measurements that are not throughput: how soon a pipeline of 6 workers answers, and
/// whether idle workers use CPU.
enum Probes {
    struct Line {
        var name: String
        var fields: [String: Double]

        var json: String {
            var object: [String: Any] = ["workload": name]
            for (key, value) in fields { object[key] = value }
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }

        var text: String {
            "\(name): "
                + fields.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(
                    separator: ", ")
        }
    }

    /// Builds and starts the probe's pipeline in every process; measures in the driver.
    static func run(_ name: String) throws -> [Line] {
        let pipeline = Pipeline()
        try pipeline.addOrigin(processes: 2) { (value: Int) in value }
        try pipeline.addTask(processes: 2) { (value: Int) in value + 1 }
        try pipeline.addDestination(processes: 2) { (value: Int) in value }
        let began = ContinuousClock.now
        try pipeline.start()
        guard !Pipeline.isWorkerProcess else { return [] }
        if name == "startup" {
            let started = ContinuousClock.now
            try pipeline.feed(41)
            try pipeline.join()
            let result = Array(try pipeline.asCompleted(as: Int.self))
            let first = ContinuousClock.now
            guard result == [42] else { throw BenchError("startup probe got \(result)") }
            return [
                Line(
                    name: "startup",
                    fields: [
                        "workers": 6,
                        "start_ms": (started - began) / .milliseconds(1),
                        "start_to_first_result_ms": (first - began) / .milliseconds(1),
                    ])
            ]
        }
        // Let start-up work (connecting, setup) settle before the idle second is measured.
        Thread.sleep(forTimeInterval: 0.5)
        let workers = MemoryMonitor.children(of: getpid())
        let before = workers.map(MemoryMonitor.cpuMilliseconds(of:))
        Thread.sleep(forTimeInterval: 1)  // the quantity measured is CPU used while idle for 1 s
        let after = workers.map(MemoryMonitor.cpuMilliseconds(of:))
        try pipeline.feed(1)
        try pipeline.join()
        let used = zip(before, after).map { $1 - $0 }
        return [
            Line(
                name: "idle",
                fields: [
                    "workers": Double(workers.count),
                    "idle_cpu_ms_per_worker_max": used.max() ?? 0,
                    "idle_cpu_ms_total": used.reduce(0, +),
                ])
        ]
    }
}
