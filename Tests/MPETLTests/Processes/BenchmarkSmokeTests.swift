import Foundation
import Testing

/// The benchmark keeps working and keeps its output format (figures are not judged here).
@Suite("Benchmark runs", .serialized)
struct BenchmarkSmokeTests {
    @Test func everyWorkloadPrintsOneJSONObjectPerRunWithTheDocumentedKeys() throws {
        let run = try Programs.run(
            "mpetl-bench", ["w1", "w2", "w4", "--items", "3000", "--baseline", "--json"], timeout: .seconds(120))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let objects = try run.lines.map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
        #expect(
            objects.map { $0["workload"] as? String ?? "?" } == [
                "w1", "w1", "w1", "w2", "w2", "w2", "w2", "w2", "w2", "w4",
            ])
        #expect(
            objects.map { "\($0["chunk"] ?? "?")" }.prefix(3) == ["auto", "1", "100"], "chunkSize left out, 1 and 100")
        let keys = [
            "workload", "items", "chunk", "processes", "items_per_s", "wall_s", "p50_latency_ms", "p99_latency_ms",
            "peak_rss_driver_mb", "peak_rss_worker_mb", "baseline_items_per_s",
        ]
        for object in objects {
            #expect(keys.allSatisfy { object[$0] != nil }, "missing keys in \(object)")
            #expect(object["verified"] as? Bool == true, "the last stage saw every item: \(object)")
        }
        #expect(objects.last?["mb_per_s"] != nil, "w4 reports bytes throughput")
    }

    @Test func theDemandWorkloadsReportWhatFinishedAndTheShareOfTheSlowWorker() throws {
        let run = try Programs.run(
            "mpetl-bench", ["stuck", "mixed", "--max-size", "4", "--items", "2000", "--json"], timeout: .seconds(120))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let objects = try run.lines.map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
        #expect(objects.map { $0["workload"] as? String ?? "?" } == ["stuck", "mixed"])
        #expect(
            (objects.first?["finished"] as? Double ?? 0) > 0 && (objects.first?["finished"] as? Double ?? 999) < 200,
            "some items finish, the stuck one never: \(objects)")
        #expect(objects.last?["ratio_to_sum_of_own_rates"] != nil && objects.last?["slow_share"] != nil, "\(objects)")
    }

    @Test func unknownWorkloadsGetTheUsage() throws {
        let run = try Programs.run("mpetl-bench", ["w9"], timeout: .seconds(30))
        #expect(run.status == 64)
        #expect(run.standardOutput.contains("usage: mpetl-bench"))
    }
}

extension BenchmarkSmokeTests {
    @Test func theResultsProbeReportsTheDriversMemory() throws {
        let run = try Programs.run("mpetl-bench", ["results", "--items", "20000", "--json"], timeout: .seconds(120))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let objects = try run.lines.map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
        #expect(objects.map { $0["chunk"] as? Double } == [1, 100])
        for object in objects {
            #expect(
                ["rss_before_mb", "rss_joined_mb", "rss_after_reading_mb", "bytes_per_result_held"].allSatisfy {
                    object[$0] != nil
                },
                "\(object)")
        }
    }
}
