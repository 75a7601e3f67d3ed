import ArgumentParser
import Foundation
import Hummingbird
import MPETL
import Prometheus

/// `--dashboard`, `--dashboard-public` and `--metrics-listen`: what `launch` and `serve` serve
/// over HTTP, each on a Hummingbird server of its own.
struct HTTPOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Serve a live dashboard of the pipelines at http://ADDRESS:PORT/ (and their metrics for Prometheus at "
                + "/metrics). Port 0 takes a free port; the address is printed at start. Only this host can reach "
                + "127.0.0.1; any other address needs --keys or --dashboard-public. With --keys the page asks for a "
                + "token derived from them: the printed address carries it.",
            valueName: "address:port"),
        transform: { try HTTPAddress(parsing: $0, option: "--dashboard") })
    var dashboard: HTTPAddress?

    @Flag(
        help: ArgumentHelp(
            "Allow --dashboard on an address other hosts can reach, without --keys, and ask no token even with "
                + "them: anyone who reaches the port reads the pipelines' names, counts, hosts and failing items."))
    var dashboardPublic = false

    @Option(
        help: ArgumentHelp(
            "Serve per-stage metrics for Prometheus at http://ADDRESS:PORT/metrics.", valueName: "address:port"),
        transform: { try HTTPAddress(parsing: $0, option: "--metrics-listen") })
    var metricsListen: HTTPAddress?

    /// A dashboard other hosts can reach only for a cluster that is meant to be reached (it has
    /// keys), or when asked for in so many words.
    /// - Throws: `ValidationError` saying what to give instead.
    func check(keys: String?) throws {
        guard let dashboard else {
            if dashboardPublic { throw ValidationError("--dashboard-public goes with --dashboard ADDRESS:PORT") }
            return
        }
        guard dashboard.isLoopback || keys != nil || dashboardPublic else {
            // Port 0 (any free port) cannot be tunnelled to: the example names a fixed one.
            let port = dashboard.port == 0 ? 8080 : dashboard.port
            throw ValidationError(
                "--dashboard \(dashboard) can be reached from other hosts, and without keys the page has no login: "
                    + "serve it on 127.0.0.1:\(port) and reach it through an SSH tunnel (ssh -L \(port):"
                    + "127.0.0.1:\(port) THIS-HOST), or give the cluster's --keys FILE, or "
                    + "--dashboard-public to let anyone who reaches it read it")
        }
    }

    /// Makes swift-metrics record for Prometheus when either server will serve `/metrics`.
    /// Call it before the coordinator starts.
    func bootstrapMetrics() -> PrometheusCollectorRegistry? {
        dashboard != nil || metricsListen != nil ? PrometheusMetrics.bootstrap() : nil
    }

    /// Starts the servers asked for and says on standard error where each serves.
    /// - Parameters:
    ///   - title: what the dashboard's page is about, e.g. the program `launch` runs.
    ///   - keys: the cluster's key file: the dashboard then asks for the token they give
    ///     (unless `--dashboard-public`).
    /// - Throws: `ValidationError` when one cannot listen, or the key file cannot be read.
    func start(
        _ coordinator: CoordinatorServer, title: String, registry: PrometheusCollectorRegistry?, keys: String?
    ) throws -> [HTTPServer] {
        var servers: [HTTPServer] = []
        if let metricsListen, let registry {
            let router = Router()
            PrometheusMetrics.route(router, registry: registry)
            let server = try HTTPServer(metricsListen, what: "metrics (--metrics-listen)", router: router)
            servers.append(server)
            say("metrics at \(server.address.url)metrics")
        }
        if let dashboard {
            let feed = DashboardFeed(title: title) { (coordinator.snapshot(), coordinator.workerHosts()) }
            let access = try keys.flatMap { dashboardPublic ? nil : DashboardAccess(keys: try Keys.read($0)) }
            let router = Router()
            if let access { router.add(middleware: access) }
            DashboardRoutes.add(to: router, feed: feed)
            if let registry { PrometheusMetrics.route(router, registry: registry) }
            let server = try HTTPServer(
                dashboard, what: "the dashboard (--dashboard)", router: router, services: [feed])
            servers.append(server)
            say("dashboard at \(server.address.url)\(access.map { "?token=\($0.token)" } ?? "")")
        }
        return servers
    }

    private func say(_ line: String) {
        FileHandle.standardError.write(Data("mpetl-coordinator: \(line)\n".utf8))
    }
}
