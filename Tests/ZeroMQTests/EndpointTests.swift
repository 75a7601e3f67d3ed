import Testing
import ZeroMQ

/// Endpoints parsed once at the boundary: every part, and every malformed shape refused with
/// what is wrong.
@Suite("Endpoint")
struct EndpointTests {
    @Test func tcpEndpointsKeepHostAndPort() throws {
        let endpoint = try Endpoint(parsing: "tcp://10.0.0.1:5555")
        #expect(endpoint.transport == .tcp(host: "10.0.0.1", port: 5555))
        #expect(endpoint.tcpHost == "10.0.0.1")
        #expect(endpoint.tcpPort == 5555)
        #expect(!endpoint.isLocal)
        #expect(endpoint.description == "tcp://10.0.0.1:5555")
    }

    @Test func aWildcardPortIsNil() throws {
        let endpoint = try Endpoint(parsing: "tcp://*:*")
        #expect(endpoint.transport == .tcp(host: "*", port: nil))
        #expect(endpoint.description == "tcp://*:*")
    }

    @Test func ipv6HostsKeepTheirBrackets() throws {
        #expect(try Endpoint(parsing: "tcp://[::1]:80").tcpHost == "[::1]")
    }

    @Test func ipcEndpointsNameAFileUnlessAbstract() throws {
        let file = try Endpoint(parsing: "ipc:///tmp/mpetl.sock")
        #expect(file.socketFilePath == "/tmp/mpetl.sock")
        #expect(file.isIPC && file.isLocal)
        let abstract = try Endpoint(parsing: "ipc://@mpetl-1-x/coordinator.sock")
        #expect(abstract.socketFilePath == nil)
        #expect(abstract.isIPC)
        #expect(abstract.description == "ipc://@mpetl-1-x/coordinator.sock")
    }

    @Test(arguments: [
        ("10.0.0.1:5555", "expected TRANSPORT://ADDRESS"),
        ("tcp://10.0.0.1", "needs a port"),
        ("tcp://:5555", "the host is missing"),
        ("tcp://10.0.0.1:70000", "is not a number from 0 to 65535"),
        ("tcp://10.0.0.1:http", "is not a number from 0 to 65535"),
        ("ipc://", "the path is missing"),
        ("inproc://", "the name is missing"),
    ])
    func malformedEndpointsSayWhatIsWrong(text: String, problem: String) {
        #expect {
            try Endpoint(parsing: text)
        } throws: { error in
            let error = error as? ZMQError
            return error?.code == .invalidArgument && error?.detail.contains(problem) == true
                && error?.detail.contains(text) == true
        }
    }

    @Test func anotherTransportIsNotSupported() {
        #expect(
            throws: ZMQError(
                code: .protocolNotSupported, function: "Endpoint",
                detail: "\"ws://host:80\": transport \"ws\" is not one of tcp, ipc, inproc")
        ) {
            try Endpoint(parsing: "ws://host:80")
        }
    }

    @Test func theWireFormIsTheText() throws {
        let endpoint = try Endpoint(parsing: "tcp://127.0.0.1:*")
        #expect(try Endpoint(parsing: endpoint.description) == endpoint)
    }

    @Test func aBoundWildcardReportsTheChosenPort() throws {
        let context = try Context()
        let socket = try Socket(context, type: .pull)
        try socket.setLinger(milliseconds: 0)
        try socket.bind(.tcp(host: "127.0.0.1", port: nil))
        let bound = try socket.lastEndpoint()
        #expect(bound.tcpHost == "127.0.0.1")
        #expect((bound.tcpPort ?? 0) > 0)
    }
}

extension EndpointTests {
    @Test(arguments: ["tcp://*:5555", "tcp://0.0.0.0:5555", "tcp://10.0.0.1:*", "tcp://10.0.0.1:0", "inproc://x"])
    func wildcardsAndInprocCannotBeConnectedTo(text: String) throws {
        #expect(throws: ZMQError.self) { try Endpoint(parsing: text).checkConnectable() }
    }

    @Test(arguments: ["tcp://10.0.0.1:5555", "ipc:///tmp/x.sock", "ipc://@mpetl"])
    func addressesAndPathsCanBeConnectedTo(text: String) throws {
        try Endpoint(parsing: text).checkConnectable()
    }

    @Test func onlyInprocIsUnreachableFromOtherProcesses() throws {
        #expect(throws: ZMQError.self) { try Endpoint(parsing: "inproc://x").checkReachableFromOtherProcesses() }
        try Endpoint(parsing: "tcp://*:*").checkReachableFromOtherProcesses()
    }
}
