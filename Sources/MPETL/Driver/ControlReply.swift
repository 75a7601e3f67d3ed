import Foundation

/// An answer from the coordinator that a user's thread waits for while the agent thread
/// receives it: a route for a name, or the acknowledgement of a closed link.
final class ControlReply<Value: Sendable>: @unchecked Sendable {
    // `result` is only touched while holding `condition`.
    private let condition = NSCondition()
    private var result: Result<Value, PipelineError>?

    func fulfill(_ value: Result<Value, PipelineError>) {
        condition.lock()
        if result == nil { result = value }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for the answer.
    func wait() throws(PipelineError) -> Value {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }

    /// The failure, if one arrived already (for a sender waiting for room).
    var failure: PipelineError? {
        condition.lock()
        defer { condition.unlock() }
        if case .failure(let error) = result { return error }
        return nil
    }
}
