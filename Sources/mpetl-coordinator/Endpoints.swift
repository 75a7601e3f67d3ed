import ArgumentParser
import ZeroMQ

extension Endpoint {
    /// An endpoint from a command-line option, for `@Option(transform:)`: a malformed one is a
    /// usage error that says which part is wrong.
    static func argument(_ text: String) throws -> Endpoint {
        do throws(ZMQError) {
            return try Endpoint(parsing: text)
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
