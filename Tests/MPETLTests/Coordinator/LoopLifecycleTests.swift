import Foundation
import Testing
import ZeroMQ

@testable import MPETL

/// Every long-running loop can be stopped and joined: its thread ends and its sockets close.
@Suite("Loop lifecycle", .serialized)
struct LoopLifecycleTests {
    static func threadExists(_ id: pid_t) -> Bool {
        FileManager.default.fileExists(atPath: "/proc/self/task/\(id)")
    }

    @Test func aStoppedCoordinatorEndsItsThreadAndFreesItsEndpoint() throws {
        let endpoint = "ipc://@mpetl-lifecycle-\(getpid())"
        let server = try CoordinatorServer(listening: [endpoint])
        let thread = server.coordinator.loop.threadID
        #expect(thread > 0 && Self.threadExists(thread))
        server.stop()
        #expect(waitUntil(timeout: .seconds(2)) { !Self.threadExists(thread) }, "the coordinator's thread has ended")
        server.stop()  // a second stop does nothing
        // The endpoint is free again: its socket was closed, not left to the process's end
        // (libzmq's I/O thread releases it a moment after the close).
        var again: CoordinatorServer?
        #expect(
            waitUntil(timeout: .seconds(5)) {
                again = try? CoordinatorServer(listening: [endpoint])
                return again != nil
            }, "the endpoint is free again")
        again?.stop()
    }

    @Test func aStoppedDriverAgentEndsItsThread() throws {
        let endpoint: Endpoint = "ipc://@mpetl-lifecycle-agent-\(getpid())"
        let server = try CoordinatorServer(listening: [endpoint.description])
        defer { server.stop() }
        let agent = try DriverAgent(
            context: try Context(), coordinatorEndpoint: endpoint, embeddedCoordinator: false,
            runDirectory: try RunDirectory.create())
        let thread = agent.loop.threadID
        #expect(thread > 0 && Self.threadExists(thread))
        agent.stop()
        #expect(waitUntil(timeout: .seconds(2)) { !Self.threadExists(thread) }, "the agent's thread has ended")
    }
}
