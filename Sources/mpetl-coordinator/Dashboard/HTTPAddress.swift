import ArgumentParser

/// Where an HTTP server of this command listens: `ADDRESS:PORT`, from `--dashboard` or
/// `--metrics-listen`. Port 0 takes any free port; the command prints the one it got.
struct HTTPAddress: CustomStringConvertible, Sendable {
    /// A name or IPv4 address, or an IPv6 address without its brackets.
    var host: String
    var port: Int

    /// - Throws: `ValidationError` naming `option` and showing a well-formed value.
    init(parsing text: String, option: String) throws {
        let example = "e.g. \(option) 127.0.0.1:8080"
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else {
            throw ValidationError("\(option) takes ADDRESS:PORT with a port from 0 to 65535, \(example); not \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        // ZeroMQ's wildcard, which --metrics-listen took when a ZeroMQ socket served it.
        if host == "*" { host = "0.0.0.0" }
        guard !host.isEmpty, !host.contains("/") else {
            throw ValidationError(
                "\(option) takes ADDRESS:PORT with an address before the colon, \(example); not \(text)")
        }
        self.host = host
        self.port = port
    }

    /// Whether only this host can reach it. A name other than `localhost` is taken as reachable
    /// from elsewhere: what it resolves to can change.
    var isLoopback: Bool {
        host == "localhost" || host == "::1" || (host.hasPrefix("127.") && host.split(separator: ".").count == 4)
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
