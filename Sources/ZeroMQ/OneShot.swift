import Foundation

/// A result handed from one thread to another once, and waited for.
///
/// The single hand-off every MPETL thread uses: a loop thread telling its starter it is ready
/// (or why it is not), an agent thread answering a user's thread, a pipeline's `start()`
/// telling concurrent callers what it made. `package` so MPETL shares it without it becoming
/// part of the ZeroMQ wrapper's public API.
///
/// ```swift
/// let ready = OneShot<Void, any Error>()
/// Thread { ready.fulfill(.success(())) }.start()
/// try ready.wait()
/// ```
package final class OneShot<Value: Sendable, Failure: Error>: @unchecked Sendable {
    // `result` is only touched while holding `condition`.
    private let condition = NSCondition()
    private var result: Result<Value, Failure>?

    package init() {}

    /// Hands over `result`, waking every waiter. Only the first call counts: a late answer
    /// (a failure after a success, say) is dropped.
    package func fulfill(_ result: Result<Value, Failure>) {
        condition.lock()
        if self.result == nil { self.result = result }
        condition.broadcast()
        condition.unlock()
    }

    /// Waits, without a deadline, for the result and returns or throws it.
    package func wait() throws(Failure) -> Value {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }

    /// The failure, if one arrived already (for a waiter that must also watch something else).
    package var failure: Failure? {
        condition.lock()
        defer { condition.unlock() }
        if case .failure(let error) = result { return error }
        return nil
    }
}

extension OneShot where Value == Void {
    /// Hands over "done".
    package func succeed() { fulfill(.success(())) }
}
