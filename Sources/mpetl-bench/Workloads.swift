import Foundation
import MPETL

/// One configured run of a workload.
struct RunSpec {
    var workload: String
    var items: Int
    /// 0: chunkSize left out, batches sized by the load.
    var chunk: Int
    var processes: Int
    var maxSize: Int?
    /// Bytes per item, for MB/s; nil when it does not apply.
    var itemBytes: Int?

    /// The `chunkSize:` argument this run passes.
    var chunkSize: Int? { chunk == 0 ? nil : chunk }
    var chunkLabel: String { chunk == 0 ? "auto" : "\(chunk)" }
}

/// The benchmark's workloads. Every pipeline is built and started in the same order in the
/// driver and in every worker (the binary re-executes itself with the same arguments); in a
/// worker, `run` returns right after `start()` for pipelines that are not its own.
enum Workloads {
    /// Builds, starts and (in the driver) runs `spec`; nil in workers.
    static func run(_ spec: RunSpec, monitor: MemoryMonitor) throws -> Measurement? {
        switch spec.workload {
        case "w1":
            let pipeline = Pipeline()
            try pipeline.addTask(processes: .count(spec.processes), chunkSize: spec.chunkSize) { (line: String) in
                line.uppercased()
            }
            try pipeline.addDestination(processes: .count(spec.processes), chunkSize: spec.chunkSize) {
                (line: String, emit: Emitter<Sample>) in
                // A counting destination that passes on only the sampled items' timings.
                if let sample = Line.sample(of: line) { emit(sample) }
            }
            return try drive(pipeline, spec, monitor, pregenerate: true) { Line.make($0, of: spec.items) }
        case "w2":
            // The task is the whole job: it burns the CPU and passes on only the sampled
            // items' timings, so what scales is the work, not a stage behind it.
            let pipeline = Pipeline()
            try pipeline.addTask(processes: .count(spec.processes), chunkSize: spec.chunkSize) {
                (probe: Probe, emit: Emitter<Sample>) in
                SharedClock.burnCPU(microseconds: 50)
                if let sample = probe.sample { emit(sample) }
            }
            return try drive(pipeline, spec, monitor) { Probe($0, of: spec.items) }
        case "w3":
            let pipeline = Pipeline(maxSize: spec.maxSize)
            try pipeline.addTask(processes: .count(spec.processes), chunkSize: spec.chunkSize) { (probe: Probe) in probe
            }
            try pipeline.addDestination(processes: .count(spec.processes), chunkSize: spec.chunkSize) {
                (probe: Probe) in probe.sample
            }
            return try drive(pipeline, spec, monitor) { Probe($0, of: spec.items) }
        case "w4":
            let pipeline = Pipeline()
            try pipeline.addTask(processes: .count(spec.processes), chunkSize: spec.chunkSize) { (blob: Blob) in blob }
            try pipeline.addDestination(processes: .count(spec.processes), chunkSize: spec.chunkSize) { (blob: Blob) in
                blob.sample
            }
            return try drive(pipeline, spec, monitor) { Blob($0, of: spec.items) }
        case "w5-sync":
            // A blocking 10 ms wait per item: one item at a time per process.
            let pipeline = Pipeline()
            try pipeline.addTask(processes: .count(spec.processes), chunkSize: spec.chunkSize) { (probe: Probe) in
                usleep(10_000)
                return probe
            }
            try pipeline.addDestination(chunkSize: spec.chunkSize) { (probe: Probe) in probe.sample }
            return try drive(pipeline, spec, monitor) { Probe($0, of: spec.items) }
        case let name where name.hasPrefix("w5-c"):
            // An awaited 10 ms (standing in for a network call), `concurrency` items at once.
            let concurrency = Int(name.dropFirst("w5-c".count)) ?? 1
            let pipeline = Pipeline()
            try pipeline.addTask(
                processes: .count(spec.processes), chunkSize: spec.chunkSize, concurrency: concurrency
            ) { (probe: Probe) async throws in
                try await Task.sleep(for: .milliseconds(10))
                return probe
            }
            try pipeline.addDestination(chunkSize: spec.chunkSize) { (probe: Probe) in probe.sample }
            return try drive(pipeline, spec, monitor) { Probe($0, of: spec.items) }
        default:
            throw BenchError("unknown workload \(spec.workload)")
        }
    }

    /// Feeds `items` made by `make`, joins, and measures: throughput, latency from the sampled
    /// items, the gap between the last item and `join()` returning, memory, and a check that
    /// the last stage saw every item.
    ///
    /// - Parameter pregenerate: make every item before the clock starts (small items), so the
    ///   figure is the pipeline's, not the generator's; otherwise items are made as fed.
    private static func drive<Item: Encodable & Sendable>(
        _ pipeline: Pipeline, _ spec: RunSpec, _ monitor: MemoryMonitor,
        pregenerate: Bool = false,
        make: @escaping (Int) -> Item
    ) throws -> Measurement? {
        let startSeconds = try seconds { try pipeline.start() }
        guard !Pipeline.isWorkerProcess else { return nil }
        var prepared = pregenerate ? (0..<spec.items).map(make) : []
        _ = monitor.reset()
        var joinedAt: UInt64 = 0
        let wall = try seconds {
            if pregenerate {
                // Fed a sampling interval at a time; each interval's sampled item is made again
                // just before, so its time is the feed's.
                for first in stride(from: 0, to: spec.items, by: Sampling.every) {
                    let end = min(spec.items, first + Sampling.every)
                    prepared[first] = make(first)
                    if end == spec.items { prepared[end - 1] = make(end - 1) }
                    try pipeline.feed(contentsOf: prepared[first..<end])
                }
            } else {
                try pipeline.feed(contentsOf: (0..<spec.items).lazy.map(make))
            }
            try pipeline.join()
            joinedAt = SharedClock.nanoseconds
        }
        let peaks = monitor.reset()
        let samples = Array(try pipeline.asCompleted(as: Sample.self))
        // The last item fed is sampled: the latest finish among samples is the last item's.
        let lastDone = samples.map(\.doneAt).max() ?? joinedAt
        let counted = try pipeline.stats().stages.last?.itemsIn ?? 0
        return Measurement(
            spec: spec, wallSeconds: wall, startSeconds: startSeconds,
            latency: LatencySummary(milliseconds: samples.map(\.milliseconds)),
            joinTailMilliseconds: Double(joinedAt &- min(lastDone, joinedAt)) / 1e6,
            peakRSSDriverMB: peaks.driver, peakRSSWorkerMB: peaks.worker,
            verified: counted == UInt64(spec.items))
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
