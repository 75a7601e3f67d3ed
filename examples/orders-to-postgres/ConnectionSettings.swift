import PostgresNIO

/// Where the orders go, from libpq's standard environment variables: the settings `psql` uses
/// reach this program and, through the environment they inherit, every one of its workers.
struct ConnectionSettings: Sendable {
    var configuration: PostgresClient.Configuration

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
        let user = environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        let password = environment["PGPASSWORD"]
        let database = environment["PGDATABASE"] ?? user
        let tls: PostgresClient.Configuration.TLS
        switch environment["PGSSLMODE"] ?? "prefer" {
        case "disable": tls = .disable
        case "allow", "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        case let mode: throw .unsupportedSSLMode(mode)
        }
        if host.hasPrefix("/") {
            configuration = .init(
                unixSocketPath: "\(host)/.s.PGSQL.\(port)", username: user, password: password, database: database)
        } else {
            configuration = .init(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        // One connection per worker process: its writes go one after another anyway.
        configuration.options.maximumConnections = 1
    }

    /// Where the server is, for messages.
    var serverDescription: String {
        if let path = configuration.unixSocketPath { return path }
        return "\(configuration.host ?? "?"):\(configuration.port ?? 5432)"
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
