import Foundation

/// Reading the endpoints the command is given.
enum Endpoints {
    /// The host part of `tcp://HOST:PORT`; nil for other transports.
    static func tcpHost(of endpoint: String) -> String? {
        guard endpoint.hasPrefix("tcp://"), let colon = endpoint.lastIndex(of: ":") else { return nil }
        return String(endpoint[endpoint.index(endpoint.startIndex, offsetBy: 6)..<colon])
    }
}
