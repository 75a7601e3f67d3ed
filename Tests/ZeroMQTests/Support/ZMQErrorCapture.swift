@testable import ZeroMQ

/// The ZMQError `body` throws, or nil when it succeeds. (Captured into a value first: Swift
/// 6.3.1 crashes compiling `#require(throws:)` around typed-throws calls.)
func zmqError(_ body: () throws -> Void) -> ZMQError? {
    do {
        try body()
        return nil
    } catch {
        return error as? ZMQError
    }
}
