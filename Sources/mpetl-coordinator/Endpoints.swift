import ArgumentParser
import ZeroMQ

extension Endpoint {
    /// An endpoint to listen on, from a command-line option (`@Option(transform:)`): a
    /// malformed one, or one other processes cannot reach, is a usage error that says why.
    static func listenArgument(_ text: String) throws -> Endpoint {
        try argument(text) { endpoint throws(ZMQError) in try endpoint.checkReachableFromOtherProcesses() }
    }

    /// An endpoint to connect to, from a command-line option or argument: as
    /// ``listenArgument(_:)``, and no wildcard address or port.
    static func connectArgument(_ text: String) throws -> Endpoint {
        try argument(text) { endpoint throws(ZMQError) in try endpoint.checkConnectable() }
    }

    private static func argument(_ text: String, check: (Endpoint) throws(ZMQError) -> Void) throws -> Endpoint {
        do throws(ZMQError) {
            let endpoint = try Endpoint(parsing: text)
            try check(endpoint)
            return endpoint
        } catch {
            throw ValidationError("\(error.detail)")
        }
    }

    /// Whether other hosts can reach it: TCP on an address other than loopback.
    var isOffHost: Bool {
        guard let host = tcpHost else { return false }
        return !(host.hasPrefix("127.") || host == "localhost" || host == "[::1]")
    }

    /// Where this host's sockets are reachable when it listens here: the address of a
    /// `tcp://ADDRESS:PORT` bound to one interface; nil for a wildcard or another transport.
    var advertisableAddress: String? {
        guard let host = tcpHost, host != "*", host != "0.0.0.0" else { return nil }
        return host
    }
}
