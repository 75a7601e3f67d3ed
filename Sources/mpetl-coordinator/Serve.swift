import ArgumentParser
import Foundation
import MPETL
import ZeroMQ

/// `serve`: a long-lived coordinator that programs share through `MPETL_COORDINATOR`.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a long-lived coordinator that several programs share.",
        discussion: """
            Start programs with MPETL_COORDINATOR=ENDPOINT; their pipelines register here, so one \
            program's stages can Pipeline.send into a named pipeline another program runs. Stops \
            on SIGINT or SIGTERM.

            Example:  mpetl-coordinator serve --listen ipc://@mpetl
            """)

    @Option(
        help: ArgumentHelp(
            "Endpoint to listen on (repeatable): ipc://PATH or tcp://ADDRESS:PORT.", valueName: "endpoint"),
        transform: Endpoint.listenArgument)
    var listen: [Endpoint] = []

    @Option(help: "How to show progress: auto, plain, or off.")
    var progress: ProgressMode = .off

    @Option(help: ArgumentHelp("Seconds between progress updates.", valueName: "seconds"))
    var interval: Double = 1

    @OptionGroup var security: SecurityOptions

    @Option(
        help: ArgumentHelp(
            "Seconds a worker host on another machine may be silent before its workers are declared lost and their "
                + "work replayed (default: MPETL_HEARTBEAT_TIMEOUT, else 30). Processes on this host are watched "
                + "through the kernel and never timed out.",
            valueName: "seconds"))
    var heartbeatTimeout: Double?

    @OptionGroup var http: HTTPOptions

    func validate() throws {
        guard !listen.isEmpty else { throw ValidationError("give --listen ENDPOINT, e.g. --listen ipc://@mpetl") }
        try Seconds.check(interval, option: "--interval")
        if let heartbeatTimeout { try Seconds.check(heartbeatTimeout, option: "--heartbeat-timeout") }
        try http.check(keys: security.keys)
    }

    func run() throws {
        // First, before any thread starts: they all inherit the blocked mask.
        let stop = StopSignal()
        try security.apply(to: listen)
        let registry = http.bootstrapMetrics()
        let server = try CoordinatorServer(
            heartbeatTimeout: heartbeatTimeout.map(Seconds.duration), listening: listen.map(\.description))
        FileHandle.standardError.write(
            Data("mpetl-coordinator: serving on \(server.endpoints.joined(separator: ", "))\n".utf8))
        let web = try http.start(
            server, title: "serve on \(server.endpoints.joined(separator: ", "))", registry: registry,
            keys: security.keys)
        let display = CoordinatorProgress(mode: progress.resolved(isTerminal: isatty(STDERR_FILENO) == 1))
        while !stop.wait(seconds: interval) {
            display.show(server.snapshot())
        }
        display.finish(server.snapshot())
        for web in web { web.stop() }
        server.stop()
    }
}

/// SIGINT or SIGTERM, taken synchronously: blocked in this thread and in every thread started
/// after it (threads inherit the mask), and waited for with `sigtimedwait`, so one sent at any
/// moment after `init` is neither lost nor fatal.
final class StopSignal {
    private var stopSignals = sigset_t()

    init() {
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
    }

    /// Waits up to `seconds`; true once a stop signal arrived.
    func wait(seconds: Double) -> Bool {
        let deadline = ContinuousClock.now + Seconds.duration(seconds)
        while true {
            let left = max(.zero, ContinuousClock.now.duration(to: deadline))
            var timeout = timespec(
                tv_sec: Int(left.components.seconds), tv_nsec: Int(left.components.attoseconds / 1_000_000_000))
            if sigtimedwait(&stopSignals, nil, &timeout) > 0 { return true }
            // EAGAIN: the time is up; EINTR: another signal's handler ran, wait on.
            if errno != EINTR { return false }
        }
    }
}
