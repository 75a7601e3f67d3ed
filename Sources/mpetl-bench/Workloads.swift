import MPETL

/// The benchmark's workloads. Each builds its pipeline the same way in the driver and in every
/// worker (the binary re-executes itself with the same arguments).
enum Workloads {
    /// W1: short strings → uppercase task → counting destination, `processes` per stage.
    static func w1(items: Int, chunk: Int, processes: Int) throws -> Measurement {
        let pipeline = Pipeline()
        try pipeline.addTask(processes: .count(processes), chunkSize: chunk) { (line: String) in line.uppercased() }
        try pipeline.addDestination(processes: .count(processes), chunkSize: chunk) { (_: String) in }
        let startSeconds = try seconds { try pipeline.start() }
        let lines = (0..<items).map { "line \($0)" }
        let wall = try seconds {
            try pipeline.feed(contentsOf: lines)
            try pipeline.join()
        }
        let counted = try pipeline.stats().stages.last?.itemsIn ?? 0
        return Measurement(workload: "w1", items: items, chunk: chunk, processes: processes, wallSeconds: wall,
                           startSeconds: startSeconds, peakRSSDriverMB: PeakMemory.driverMB,
                           peakRSSWorkerMB: PeakMemory.largestChildMB, verified: counted == UInt64(items))
    }
}
