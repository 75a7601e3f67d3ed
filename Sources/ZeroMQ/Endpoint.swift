/// Where a socket binds or connects: `tcp://HOST:PORT`, `ipc://PATH` or `inproc://NAME`,
/// parsed once into its parts.
///
/// Text from a command line, an environment variable or a peer's message becomes an
/// `Endpoint` at that boundary; everything past it asks the value (`isLocal`, ``tcpHost``,
/// ``socketFilePath``) instead of looking at prefixes again.
///
/// ```swift
/// let listen = try Endpoint(parsing: "tcp://10.0.0.1:5555")
/// try socket.bind(listen)
/// print(listen.tcpHost ?? "-")          // 10.0.0.1
/// try socket.bind(.tcp(host: "127.0.0.1", port: nil))   // the kernel picks the port
/// ```
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    /// The transport and its address.
    public enum Transport: Hashable, Sendable {
        /// TCP to or on `host` (a name, an IPv4 address, `[IPv6]`, or `*` for every interface
        /// when binding) at `port`; a nil port (`*`) lets the kernel pick one on bind.
        case tcp(host: String, port: UInt16?)
        /// A Unix domain socket: a file path, or a name in Linux's abstract namespace when it
        /// starts with `@` (no file, gone when the last socket closes).
        case ipc(path: String)
        /// A socket of the same ZeroMQ context, in this process.
        case inproc(name: String)
    }

    /// The transport and its address.
    public let transport: Transport

    /// An endpoint from its parts.
    public init(_ transport: Transport) {
        self.transport = transport
    }

    /// `tcp://host:port`, or `tcp://host:*` for a port the kernel picks.
    public static func tcp(host: String, port: UInt16?) -> Endpoint { Endpoint(.tcp(host: host, port: port)) }

    /// `ipc://path`.
    public static func ipc(path: String) -> Endpoint { Endpoint(.ipc(path: path)) }

    /// Parses `tcp://HOST:PORT` (PORT a number or `*`), `ipc://PATH` or `inproc://NAME`.
    ///
    /// - Throws: ``ZMQError`` with ``ZMQError/Code/invalidArgument`` saying which part is
    ///   wrong, or ``ZMQError/Code/protocolNotSupported`` for another transport.
    public init(parsing text: String) throws(ZMQError) {
        func malformed(_ problem: String) -> ZMQError {
            ZMQError(code: .invalidArgument, function: "Endpoint", detail: "\"\(text)\": \(problem)")
        }
        guard let separator = text.range(of: "://") else {
            throw malformed("expected TRANSPORT://ADDRESS, e.g. tcp://10.0.0.1:5555 or ipc:///tmp/mpetl.sock")
        }
        let scheme = text[..<separator.lowerBound]
        let address = String(text[separator.upperBound...])
        switch scheme {
        case "tcp":
            guard let colon = address.lastIndex(of: ":") else {
                throw malformed("a tcp endpoint needs a port: tcp://HOST:PORT, or tcp://HOST:* for any free port")
            }
            let host = String(address[..<colon])
            let portText = address[address.index(after: colon)...]
            guard !host.isEmpty else { throw malformed("the host is missing before the port") }
            if portText == "*" {
                transport = .tcp(host: host, port: nil)
            } else if let port = UInt16(portText) {
                transport = .tcp(host: host, port: port)
            } else {
                throw malformed("the port \"\(portText)\" is not a number from 0 to 65535 or *")
            }
        case "ipc":
            guard !address.isEmpty else { throw malformed("the path is missing: ipc:///PATH or ipc://@NAME") }
            transport = .ipc(path: address)
        case "inproc":
            guard !address.isEmpty else { throw malformed("the name is missing: inproc://NAME") }
            transport = .inproc(name: address)
        default:
            throw ZMQError(
                code: .protocolNotSupported, function: "Endpoint",
                detail: "\"\(text)\": transport \"\(scheme)\" is not one of tcp, ipc, inproc")
        }
    }

    /// Checks that another process can connect here: `ipc://`, or TCP to an address and port
    /// that are not wildcards (`*`, port 0), which only a bind resolves.
    ///
    /// - Throws: ``ZMQError`` with ``ZMQError/Code/invalidArgument`` saying what to give instead.
    public func checkConnectable() throws(ZMQError) {
        func refuse(_ problem: String) -> ZMQError {
            ZMQError(code: .invalidArgument, function: "Endpoint", detail: "\"\(description)\": \(problem)")
        }
        switch transport {
        case .tcp(let host, let port):
            guard host != "*", host != "0.0.0.0" else {
                throw refuse("a connection needs the address it goes to, not the wildcard \(host)")
            }
            guard let port, port != 0 else {
                throw refuse("a connection needs the port the other side listens on, not * or 0")
            }
        case .ipc:
            break
        case .inproc:
            throw refuse("inproc:// reaches only sockets of the same process; give ipc://PATH or tcp://HOST:PORT")
        }
    }

    /// Checks that other processes can reach a socket bound here: not `inproc://`.
    ///
    /// - Throws: ``ZMQError`` with ``ZMQError/Code/invalidArgument`` saying what to give instead.
    public func checkReachableFromOtherProcesses() throws(ZMQError) {
        if case .inproc = transport {
            throw ZMQError(
                code: .invalidArgument, function: "Endpoint",
                detail: "\"\(description)\": inproc:// reaches only sockets of the same process; "
                    + "give ipc://PATH or tcp://ADDRESS:PORT")
        }
    }

    /// The text libzmq takes, e.g. `tcp://10.0.0.1:5555`.
    public var description: String {
        switch transport {
        case .tcp(let host, let port): "tcp://\(host):\(port.map(String.init) ?? "*")"
        case .ipc(let path): "ipc://\(path)"
        case .inproc(let name): "inproc://\(name)"
        }
    }

    /// Whether only this host can reach it (`ipc://` or `inproc://`).
    public var isLocal: Bool {
        if case .tcp = transport { return false }
        return true
    }

    /// Whether it is a Unix domain socket (`ipc://`).
    public var isIPC: Bool {
        if case .ipc = transport { return true }
        return false
    }

    /// The host of a `tcp://` endpoint; nil for other transports.
    public var tcpHost: String? {
        if case .tcp(let host, _) = transport { return host }
        return nil
    }

    /// The port of a `tcp://` endpoint; nil for other transports and for `*`.
    public var tcpPort: UInt16? {
        if case .tcp(_, let port) = transport { return port }
        return nil
    }

    /// The file of an `ipc://` endpoint; nil for other transports and for an abstract name
    /// (`ipc://@NAME`), which has no file.
    public var socketFilePath: String? {
        guard case .ipc(let path) = transport, !path.hasPrefix("@") else { return nil }
        return path
    }
}

/// On the wire an endpoint is its text, so peers in any language read it, and a malformed
/// one from a peer fails the message's decoding instead of a later bind.
extension Endpoint: Codable {
    public init(from decoder: any Decoder) throws {
        try self.init(parsing: decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
