import Foundation

/// Whether this process has the file descriptors a pipeline needs, checked before `start()`
/// begins anything: libzmq aborts the process when it cannot get a descriptor for its own
/// bookkeeping, so running short must be found here, as an error that says what to do.
enum DescriptorBudget {
    /// Descriptors the driver uses per worker process: a PUSH or PULL socket (its mailbox and
    /// a connection), the worker's pidfd, and slack for libzmq's reconnects.
    static let perProcess = 4
    /// Descriptors a pipeline needs beyond that: its results socket and its connections.
    static let perPipeline = 8
    /// Descriptors the first start needs for the runtime: the coordinator's and agent's
    /// sockets, libzmq's threads, signal watches.
    static let runtime = 16

    /// - Throws: ``PipelineError/Code/startFailed`` when fewer descriptors are free than a
    ///   pipeline of `processes` worker processes needs.
    static func check(processes: Int, pipeline: String, runtimeExists: Bool) throws(PipelineError) {
        guard let limit = Syscalls.descriptorLimit else { return }
        let open = Syscalls.openDescriptorCount
        let needed = (runtimeExists ? 0 : runtime) + perPipeline + perProcess * processes
        guard limit - open < needed else { return }
        throw PipelineError(
            code: .startFailed, pipeline: pipeline,
            reason:
                "this process has \(limit - open) of its \(limit) file descriptors free, and a pipeline of "
                + "\(processes) worker process(es) needs about \(needed); raise the limit (`ulimit -n 4096`) or "
                + "let pipelines that finished be released"
        )
    }
}
