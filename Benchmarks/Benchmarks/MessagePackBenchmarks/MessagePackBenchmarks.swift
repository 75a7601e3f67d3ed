import Benchmark
import MessagePack

/// A record of the shape pipelines carry: a few integers, short strings, arrays, an optional.
struct Record: Codable, Equatable, Sendable {
    var id: Int
    var name: String
    var score: Double
    var tags: [String]
    var counts: [Int]
    var note: String?

    init(_ index: Int) {
        id = index
        name = "record \(index)"
        score = Double(index) / 4
        tags = ["tag \(index % 7)", "batch"]
        counts = [index, index * 3, -index]
        note = index % 3 == 0 ? "every third record carries a note" : nil
    }
}

/// One batch as a stage receives it: what `chunkSize` 256 (and the batching by load's limit) sends.
let records = (0..<256).map(Record.init)
/// W1's items (`mpetl-bench`): short lines, many of them.
let lines = (0..<4_096).map { "line \($0)" }

let benchmarks: @Sendable () -> Void = {
    // Allocations are counted by the malloc interposer, so they are the same on every run of the
    // same build: CI checks them against Thresholds/ instead of timing anything. Warm-up runs
    // first keep one-time allocations (type metadata, caches) out of the count.
    let configuration = Benchmark.Configuration(
        metrics: [.mallocCountTotal],
        warmupIterations: 2,
        maxDuration: .seconds(1),
        maxIterations: 20,
        // Counts are exact for a build, so one allocation above a threshold fails; see Benchmarks/README.md.
        thresholds: [.mallocCountTotal: BenchmarkThresholds(absolute: [.p90: 0])]
    )

    Benchmark("Encode-256-records", configuration: configuration) { benchmark in
        let encoder = MessagePackEncoder()
        for _ in benchmark.scaledIterations {
            blackHole(try encoder.encode(records))
        }
    }

    Benchmark("Decode-256-records", configuration: configuration) { benchmark in
        let bytes = try MessagePackEncoder().encode(records)
        let decoder = MessagePackDecoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try decoder.decode([Record].self, from: bytes))
        }
    }

    Benchmark("Encode-4096-strings", configuration: configuration) { benchmark in
        let encoder = MessagePackEncoder()
        for _ in benchmark.scaledIterations {
            blackHole(try encoder.encode(lines))
        }
    }

    Benchmark("Decode-4096-strings", configuration: configuration) { benchmark in
        let bytes = try MessagePackEncoder().encode(lines)
        let decoder = MessagePackDecoder()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try decoder.decode([String].self, from: bytes))
        }
    }
}
