import Foundation

/// The state of a thread that owns sockets: built on that thread (a socket belongs to the
/// thread that uses it), then run there until the process ends.
protocol ThreadLoop: AnyObject, SendableMetatype {
    func run()
}

enum LoopThread {
    /// Starts a thread that builds its loop with `make` and runs it; returns once `make`
    /// succeeded, or throws its error.
    static func start<Loop: ThreadLoop>(name: String, make: @escaping @Sendable () throws -> Loop) throws {
        let started = StartSignal()
        let thread = Thread {
            let loop: Loop
            do {
                loop = try make()
                started.succeed()
            } catch {
                started.fail(error)
                return
            }
            loop.run()
        }
        thread.name = name
        thread.start()
        try started.wait()
    }
}

/// A one-shot handoff of "the thread is up" or its error.
final class StartSignal: @unchecked Sendable {
    // `result` is only touched while holding `condition`.
    private let condition = NSCondition()
    private var result: Result<Void, any Error>?

    func succeed() { finish(.success(())) }
    func fail(_ error: any Error) { finish(.failure(error)) }

    private func finish(_ value: Result<Void, any Error>) {
        condition.lock()
        result = value
        condition.broadcast()
        condition.unlock()
    }

    func wait() throws {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        try result!.get()
    }
}

