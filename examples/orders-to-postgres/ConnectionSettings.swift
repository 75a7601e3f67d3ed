import PostgresNIO

/// Where the orders go, from libpq's standard environment variables: the settings `psql` uses
/// reach this program and, through the environment they inherit, every one of its workers.
struct ConnectionSettings: Sendable {
    enum Endpoint: Sendable {
        case tcp(host: String, port: Int)
        case socket(path: String)
    }
    enum TLSMode: Sendable { case disable, prefer, require }

    var endpoint: Endpoint
    var user: String
    var password: String?
    var database: String
    var tls: TLSMode

    /// Reads PGHOST (a host name, or a folder holding the server's Unix socket), PGPORT (5432),
    /// PGUSER (the login name), PGPASSWORD (none), PGDATABASE (the user's name) and PGSSLMODE
    /// (`prefer`, as libpq: TLS when the server offers it; `disable`; `require`).
    init(environment: [String: String]) throws(SettingsError) {
        guard let host = environment["PGHOST"], !host.isEmpty else { throw .missingHost }
        var port = 5432
        if let text = environment["PGPORT"], !text.isEmpty {
            guard let number = Int(text), (1...65535).contains(number) else { throw .badPort(text) }
            port = number
        }
        endpoint = host.hasPrefix("/") ? .socket(path: "\(host)/.s.PGSQL.\(port)") : .tcp(host: host, port: port)
        user = environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        password = environment["PGPASSWORD"]
        database = environment["PGDATABASE"] ?? user
        switch environment["PGSSLMODE"] ?? "prefer" {
        case "disable": tls = .disable
        case "allow", "prefer": tls = .prefer
        case "require": tls = .require
        case let mode: throw .unsupportedSSLMode(mode)
        }
    }

    /// For a worker's pooled client.
    var clientConfiguration: PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        switch endpoint {
        case .socket(let path):
            configuration = .init(unixSocketPath: path, username: user, password: password, database: database)
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS =
                switch self.tls {
                case .disable: .disable
                case .prefer: .prefer(.makeClientConfiguration())
                case .require: .require(.makeClientConfiguration())
                }
            configuration = .init(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        // One connection per worker process: its inserts go one after another anyway.
        configuration.options.maximumConnections = 1
        return configuration
    }

    /// For the driver's single connection, which fails at once when the server cannot be
    /// reached (a pool tries again for a minute before it gives up).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        switch endpoint {
        case .socket(let path):
            return .init(unixSocketPath: path, username: user, password: password, database: database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS =
                switch self.tls {
                case .disable: .disable
                case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                }
            return .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
    }

    /// Where the server is, for messages.
    var serverDescription: String {
        switch endpoint {
        case .socket(let path): path
        case .tcp(let host, let port): "\(host):\(port)"
        }
    }
}

enum SettingsError: Error, CustomStringConvertible {
    case missingHost
    case badPort(String)
    case unsupportedSSLMode(String)

    var description: String {
        switch self {
        case .missingHost:
            "PGHOST is not set: say which PostgreSQL server to write to with libpq's variables "
                + "(PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD), or run "
                + "`scripts/with-postgres swift run orders-to-postgres`, which starts a throwaway server and sets them"
        case .badPort(let text): "PGPORT \"\(text)\" is not a port number"
        case .unsupportedSSLMode(let mode):
            "PGSSLMODE \"\(mode)\" is not supported here: use disable, allow, prefer or require"
        }
    }
}
