import Foundation

/// One workload's figures, printed as a table row or one JSON object.
struct Measurement {
    var spec: RunSpec
    var wallSeconds: Double
    var startSeconds: Double
    var latency: LatencySummary
    var joinTailMilliseconds: Double
    var peakRSSDriverMB: Double
    var peakRSSWorkerMB: Double
    var verified: Bool
    /// The same shape over raw PUSH/PULL, when `--baseline` ran it.
    var baselineItemsPerSecond: Double?

    var itemsPerSecond: Double { Double(spec.items) / wallSeconds }
    var megabytesPerSecond: Double? { spec.itemBytes.map { Double($0) * itemsPerSecond / 1_048_576 } }
    var ratioToBaseline: Double? { baselineItemsPerSecond.map { itemsPerSecond / $0 } }

    var json: String {
        var object: [String: Any] = [
            "workload": spec.workload, "items": spec.items, "chunk": spec.chunkLabel, "processes": spec.processes,
            "items_per_s": itemsPerSecond.rounded(), "wall_s": wallSeconds, "start_s": startSeconds,
            "p50_latency_ms": latency.p50.isNaN ? NSNull() : latency.p50,
            "p99_latency_ms": latency.p99.isNaN ? NSNull() : latency.p99,
            "join_tail_ms": joinTailMilliseconds,
            "peak_rss_driver_mb": peakRSSDriverMB, "peak_rss_worker_mb": peakRSSWorkerMB, "verified": verified,
        ]
        if let maxSize = spec.maxSize { object["max_size"] = maxSize }
        if let megabytes = megabytesPerSecond { object["mb_per_s"] = megabytes }
        if let baseline = baselineItemsPerSecond {
            object["baseline_items_per_s"] = baseline.rounded()
            object["ratio_to_baseline"] = itemsPerSecond / baseline
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static let columns: [(String, Int)] = [
        ("workload", 9), ("items", 10), ("chunk", 6), ("procs", 6), ("items/s", 11), ("MB/s", 8), ("p50 ms", 8),
        ("p99 ms", 8),
        ("tail ms", 8), ("start s", 8), ("RSS drv MB", 11), ("RSS wrk MB", 11), ("wall s", 8), ("baseline/s", 12),
        ("ratio", 6), ("ok", 3),
    ]

    static var tableHeader: String { row(columns.map(\.0)) }

    var tableRow: String {
        func number(_ value: Double?, _ format: String) -> String {
            guard let value, !value.isNaN else { return "-" }
            return String(format: format, value)
        }
        return Self.row([
            spec.workload, "\(spec.items)", spec.chunkLabel, "\(spec.processes)", number(itemsPerSecond, "%.0f"),
            number(megabytesPerSecond, "%.0f"), number(latency.p50, "%.2f"), number(latency.p99, "%.2f"),
            number(joinTailMilliseconds, "%.2f"), number(startSeconds, "%.3f"), number(peakRSSDriverMB, "%.1f"),
            number(peakRSSWorkerMB, "%.1f"), number(wallSeconds, "%.3f"), number(baselineItemsPerSecond, "%.0f"),
            number(ratioToBaseline, "%.2f"), verified ? "yes" : "NO",
        ])
    }

    private static func row(_ cells: [String]) -> String {
        zip(cells, columns).map { $0.padding(toLength: $1.1, withPad: " ", startingAt: 0) }.joined(separator: " ")
    }
}

/// Seconds elapsed while running `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let elapsed = try clock.measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
