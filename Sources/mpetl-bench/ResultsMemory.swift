import CProcessShims
import Foundation
import MPETL

/// What results kept in the driver cost: 1,000,000 `Int` results of an identity task, joined,
/// then read in full with `asCompleted`; the driver's resident memory before the feed, after
/// `join()` (every result held), and after reading them into an array.
enum ResultsMemory {
    static func run(items: Int, chunk: Int) throws -> Probes.Line? {
        let pipeline = Pipeline()
        try pipeline.addTask(processes: 2, chunkSize: chunk) { (value: Int) in value }
        try pipeline.start()
        guard !Pipeline.isWorkerProcess else { return nil }
        let me = getpid()
        // Freed memory goes back to the system first, so each figure is what is held, not what
        // an earlier run left in the allocator's free lists.
        mpetl_release_free_memory()
        let before = MemoryMonitor.residentMB(of: me)
        try pipeline.feed(contentsOf: 0..<items)
        try pipeline.join()
        mpetl_release_free_memory()
        let held = MemoryMonitor.residentMB(of: me)
        var sum = 0
        var count = 0
        for value in try pipeline.asCompleted(as: Int.self) {
            sum &+= value
            count += 1
        }
        let read = MemoryMonitor.residentMB(of: me)
        guard count == items, sum == items * (items - 1) / 2 else {
            throw BenchError("results probe read \(count) results")
        }
        return Probes.Line(
            name: "results",
            fields: [
                "items": Double(items), "chunk": Double(chunk),
                "rss_before_mb": before, "rss_joined_mb": held, "rss_after_reading_mb": read,
                "bytes_per_result_held": (held - before) * 1024 * 1024 / Double(items),
            ])
    }
}
