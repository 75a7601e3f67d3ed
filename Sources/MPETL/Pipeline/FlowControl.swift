/// Turns a pipeline's `maxSize` into ZeroMQ high-water marks.
///
/// Every producer of a stage has one PUSH connection to every worker of it, and each
/// connection queues up to its send mark at the producer plus its receive mark at the worker.
/// Dividing `maxSize` over those queues bounds the items in flight into each stage, so
/// `feed` blocks instead of memory growing. The driver and every worker compute the same
/// marks from the same definition.
enum FlowControl {
    /// The high-water mark, in batches, of each connection into each stage; 0 keeps libzmq's
    /// default of 1,000 messages, which bounds memory too.
    static func highWaterMarks(for stages: [StageDefinition], maxSize: Int?) -> [Int] {
        guard let maxSize else { return Array(repeating: 0, count: stages.count) }
        return stages.indices.map { index in
            let producers = index == 0 ? 1 : stages[index - 1].processes.resolved
            let queues = 2 * producers * stages[index].processes.resolved
            let batch = stages[index].chunkSize ?? AutomaticBatching.largestBatch(maxSize: maxSize, queues: queues)
            return max(1, maxSize / max(1, batch) / max(1, queues))
        }
    }
}
