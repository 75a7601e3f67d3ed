import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `mpetl-coordinator serve --metrics-listen`: per-stage metrics for Prometheus.
@Suite("Metrics", .serialized)
struct MetricsTests {
    @Test func theCoordinatorServesPerStageCountsForPrometheus() throws {
        let endpoint = "ipc://\(NSTemporaryDirectory())mpetl-metrics-\(getpid()).sock"
        defer { try? FileManager.default.removeItem(atPath: String(endpoint.dropFirst("ipc://".count))) }
        let port = 30_000 + Int(getpid()) % 20_000
        let server = try Programs.launch(
            "mpetl-coordinator", ["serve", "--listen", endpoint, "--metrics-listen", "127.0.0.1:\(port)"])
        defer { kill(server.pid, SIGKILL) }
        let run = try Programs.run(
            "mpetl-test-programs", ["exactly-once", "--items", "3000"], environment: ["MPETL_COORDINATOR": endpoint])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!
        var text = ""
        // The coordinator publishes a finished pipeline's figures at once; the loop only waits
        // for the HTTP side to answer.
        let answered = waitUntil(timeout: .seconds(10)) {
            text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            return text.contains("mpetl_items_in")
        }
        #expect(answered, "\(text.prefix(500))")
        let stage = "pipeline=\"pipeline #0\",stage=\"task 1 (Int -> Tagged)\""
        #expect(text.contains("mpetl_items_in{\(stage)} 3000"), "\(text.prefix(2000))")
        #expect(text.contains("mpetl_items_out{\(stage)} 3000"))
        #expect(text.contains("mpetl_workers{\(stage)} 3"))
        #expect(text.contains("mpetl_errors{\(stage)} 0"))
        #expect(text.contains("mpetl_workers_lost{\(stage)} 0"))
        #expect(text.contains("mpetl_batches_total{\(stage)}") || text.contains("mpetl_batches{\(stage)}"), "\(text)")
        #expect(text.contains("mpetl_busy_seconds"), "\(text)")
    }
}
