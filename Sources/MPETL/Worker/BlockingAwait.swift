import ZeroMQ

/// Runs async work from a thread of MPETL's own (a worker's loop thread, a driver's caller) and
/// waits for it there.
///
/// Only for threads outside Swift's concurrency pool: blocking one of the pool's few threads
/// while it waits for work on the same pool could starve it. A worker's loop calls this for an
/// async stage's setup, teardown and commit, which run once or rarely and must finish before the
/// worker goes on.
enum BlockingAwait {
    static func run<Value: Sendable>(_ operation: @escaping @Sendable () async throws -> Value) throws -> Value {
        let outcome = OneShot<Value, any Error>()
        Task {
            do {
                outcome.fulfill(.success(try await operation()))
            } catch {
                outcome.fulfill(.failure(error))
            }
        }
        return try outcome.wait()
    }
}
