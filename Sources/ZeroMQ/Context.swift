import CLibZMQ

/// A libzmq context: the I/O threads that move messages for every socket created from it.
///
/// A context may be shared across threads. Each ``Socket`` keeps its context alive, and the
/// context is terminated when the last reference to it goes away.
///
/// ```swift
/// let context = try Context()
/// let pull = try Socket(context, type: .pull)
/// try pull.bind("ipc:///tmp/example.sock")
/// ```
public final class Context: @unchecked Sendable {
    // libzmq documents contexts as thread-safe, and `handle` never changes after init.
    let handle: UnsafeMutableRawPointer

    /// Creates a context with the given number of I/O threads.
    /// - Parameter ioThreads: libzmq I/O threads; one moves about a gigabyte per second.
    /// - Throws: ``ZMQError`` if libzmq cannot create the context.
    public init(ioThreads: Int = 1) throws(ZMQError) {
        handle = try checkedHandle("zmq_ctx_new") { zmq_ctx_new() }
        _ = try checked("zmq_ctx_set", "ZMQ_IO_THREADS") {
            zmq_ctx_set(handle, ZMQ_IO_THREADS, Int32(ioThreads))
        }
    }

    deinit {
        // Every socket holds a reference to its context, so none is open here and
        // zmq_ctx_term cannot block on one; EINTR is retried inside `checked`.
        _ = try? checked("zmq_ctx_term") { zmq_ctx_term(handle) }
    }

    /// Whether this libzmq was built with a capability, e.g. `"curve"` or `"ipc"`.
    public static func has(_ capability: String) -> Bool {
        zmq_has(capability) == 1
    }

    /// libzmq's version as (major, minor, patch).
    public static var libraryVersion: (major: Int, minor: Int, patch: Int) {
        var major: Int32 = 0
        var minor: Int32 = 0
        var patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return (Int(major), Int(minor), Int(patch))
    }
}
