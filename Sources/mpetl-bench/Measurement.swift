import Foundation

/// One workload's figures, printed as a table row or one JSON object.
struct Measurement {
    var workload: String
    var items: Int
    var chunk: Int
    var processes: Int
    var wallSeconds: Double
    var startSeconds: Double
    var peakRSSDriverMB: Double
    var peakRSSWorkerMB: Double
    var verified: Bool

    var itemsPerSecond: Double { Double(items) / wallSeconds }

    var json: String {
        let object: [String: Any] = [
            "workload": workload, "items": items, "chunk": chunk, "processes": processes,
            "items_per_s": (itemsPerSecond).rounded(), "wall_s": wallSeconds, "start_s": startSeconds,
            "peak_rss_driver_mb": peakRSSDriverMB, "peak_rss_worker_mb": peakRSSWorkerMB, "verified": verified,
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static let tableHeader = "workload  items       chunk  procs  items/s       wall s   start s  driver RSS MB  worker RSS MB  verified"

    var tableRow: String {
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        return pad(workload, 10) + pad("\(items)", 12) + pad("\(chunk)", 7) + pad("\(processes)", 7)
            + pad(String(format: "%.0f", itemsPerSecond), 14) + pad(String(format: "%.3f", wallSeconds), 9)
            + pad(String(format: "%.3f", startSeconds), 9) + pad(String(format: "%.1f", peakRSSDriverMB), 15)
            + pad(String(format: "%.1f", peakRSSWorkerMB), 15) + (verified ? "yes" : "NO")
    }
}

/// Peak resident memory, from the kernel's accounting.
enum PeakMemory {
    /// This process's peak RSS in MiB.
    static var driverMB: Double { peak(RUSAGE_SELF.rawValue) }
    /// The largest peak RSS of any reaped child (the workers) in MiB.
    static var largestChildMB: Double { peak(RUSAGE_CHILDREN.rawValue) }

    private static func peak(_ who: Int32) -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(who), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

/// Seconds elapsed while running `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let elapsed = try clock.measure(body)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
