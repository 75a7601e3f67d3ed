import CLibZMQ

// Every libzmq call that reports failure through `-1` and errno goes through `checked`, so
// that errno is read right after the call, EINTR is retried in one place, and every error
// names the failing function.

/// Runs a libzmq call, retrying it while it fails with EINTR, and throws its errno otherwise.
@inline(__always)
func checked(
    _ function: StaticString,
    _ detail: @autoclosure () -> String = "",
    _ call: () -> Int32
) throws(ZMQError) -> Int32 {
    while true {
        let result = call()
        if result != -1 { return result }
        let code = zmq_errno()
        if code == EINTR { continue }
        throw ZMQError(code: .init(rawValue: code), function: "\(function)", detail: detail())
    }
}

/// Runs a libzmq call that returns a handle, throwing its errno when the handle is null.
@inline(__always)
func checkedHandle(
    _ function: StaticString,
    _ call: () -> UnsafeMutableRawPointer?
) throws(ZMQError) -> UnsafeMutableRawPointer {
    while true {
        if let handle = call() { return handle }
        let code = zmq_errno()
        if code == EINTR { continue }
        throw ZMQError(code: .init(rawValue: code), function: "\(function)")
    }
}
