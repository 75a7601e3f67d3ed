import Foundation
import Synchronization
import ZeroMQ

/// The state of a thread that owns sockets: built on that thread (a socket belongs to the
/// thread that uses it), then run there until it is told to stop or fails.
protocol ThreadLoop: AnyObject, SendableMetatype {
    /// Runs until `stop` is readable in the loop's poll (see ``StopRequest``), then returns;
    /// the loop's sockets close as it is released, on its own thread.
    func run(until stop: StopRequest)
}

/// A loop's end of its stop channel: an inproc PULL the loop polls beside its own sockets, so
/// a stop wakes it at once, whatever it waits for.
final class StopRequest {
    let socket: Socket

    fileprivate init(_ context: Context, endpoint: String) throws {
        socket = try Socket(context, type: .pull)
        try socket.setLinger(milliseconds: 0)
        try socket.bind(endpoint)
    }
}

/// A running loop: stop it and wait for it, as swift-service-lifecycle's services are run and
/// cancelled, for a thread that blocks in `zmq_poll` rather than in a task.
final class LoopHandle: Sendable {
    private let context: Context
    private let endpoint: String
    private let stopped = Mutex(false)
    private let finished = OneShot<Void, Never>()
    private let kernelThread = Mutex<pid_t>(0)

    /// The loop thread's kernel id (`/proc/self/task/ID`), for tests and diagnostics.
    var threadID: pid_t { kernelThread.withLock { $0 } }

    fileprivate init(context: Context, endpoint: String) {
        self.context = context
        self.endpoint = endpoint
    }

    fileprivate func markStarted() { kernelThread.withLock { $0 = Syscalls.threadID } }
    fileprivate func markFinished() { finished.succeed() }

    /// Asks the loop to stop; returns at once. Later calls do nothing.
    func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first, let bell = try? Socket(context, type: .push) else { return }
        // inproc: the message is queued at once, even with linger 0 on close.
        try? bell.connect(endpoint)
        try? bell.send([1])
    }

    /// Waits until the loop's thread has returned from `run` (the kernel thread ends a moment
    /// later).
    func join() {
        finished.wait()
    }
}

enum LoopThread {
    /// Starts a thread that builds its loop with `make` and runs it; returns once `make`
    /// succeeded, or throws its error.
    static func start<Loop: ThreadLoop>(
        name: String, context: Context,
        make: @escaping @Sendable () throws -> Loop
    ) throws -> LoopHandle {
        let endpoint = "inproc://mpetl-stop-\(UUID().uuidString)"
        let handle = LoopHandle(context: context, endpoint: endpoint)
        let started = OneShot<Void, any Error>()
        let thread = Thread {
            defer { handle.markFinished() }
            Syscalls.nameCurrentThread(name)
            handle.markStarted()
            let stop: StopRequest
            let loop: Loop
            do {
                stop = try StopRequest(context, endpoint: endpoint)
                loop = try make()
                started.succeed()
            } catch {
                started.fulfill(.failure(error))
                return
            }
            loop.run(until: stop)
        }
        thread.start()
        try started.wait()
        return handle
    }
}
