import Testing
import ZeroMQ

@testable import MPETL

/// The address a worker host advertises by default: the one it uses towards the coordinator.
@Suite("Local address towards an endpoint")
struct LocalAddressTests {
    @Test(arguments: ["tcp://127.0.0.1:5555", "tcp://localhost:5555"])
    func loopbackCoordinatorsAreReachedFromLoopback(endpoint: String) throws {
        #expect(Syscalls.localAddress(towards: try Endpoint(parsing: endpoint)) == "127.0.0.1")
    }

    @Test(arguments: ["ipc:///tmp/x.sock", "tcp://no-such-host.invalid:5555", "tcp://127.0.0.1:*"])
    func anythingElseHasNoAnswer(endpoint: String) throws {
        #expect(Syscalls.localAddress(towards: try Endpoint(parsing: endpoint)) == nil)
    }
}
