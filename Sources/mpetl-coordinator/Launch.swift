import ArgumentParser
import Foundation
import MPETL
import ZeroMQ

/// `launch`: a coordinator for one program's run, with live progress; exits with the
/// program's status.
struct Launch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run PROGRAM with its pipelines on this coordinator, showing live progress.",
        discussion: """
            PROGRAM runs with MPETL_COORDINATOR set, so its pipelines register here instead of \
            embedding a coordinator; their workers start on this host. Progress goes to standard \
            error; the program's own output is untouched. The exit status is the program's \
            (128 + N when signal N ended it).

            Example:  mpetl-coordinator launch --progress plain -- .build/debug/nursery-rhyme
            """)

    @Option(
        help: ArgumentHelp(
            "Also listen on this endpoint, e.g. tcp://10.0.0.1:5555, for worker hosts; the program's own sockets then "
                + "listen on that address too.",
            valueName: "endpoint"), transform: Endpoint.listenArgument)
    var listen: Endpoint?

    @Option(help: "How to show progress: auto (redrawn in place on a terminal, plain lines otherwise), plain, or off.")
    var progress: ProgressMode = .auto

    @Option(help: ArgumentHelp("Seconds between plain progress lines.", valueName: "seconds"))
    var interval: Double = 1

    @Option(
        help: ArgumentHelp(
            "Wait until worker hosts offer this many slots before starting the program.", valueName: "slots"))
    var waitWorkers: Int = 0

    @Option(help: ArgumentHelp("Seconds to wait for --wait-workers.", valueName: "seconds"))
    var waitTimeout: Double = 60

    @OptionGroup var security: SecurityOptions

    @Option(
        help: ArgumentHelp(
            "Seconds a worker host on another machine may be silent before its workers are declared lost and their "
                + "work replayed (default: MPETL_HEARTBEAT_TIMEOUT, else 30). Processes on this host are watched "
                + "through the kernel and never timed out.",
            valueName: "seconds"))
    var heartbeatTimeout: Double?

    @OptionGroup var http: HTTPOptions

    @Argument(
        parsing: .postTerminator,
        help: ArgumentHelp("The program to run and its arguments, after --.", valueName: "program"))
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else {
            throw ValidationError("name the program to run after --, e.g. `launch -- ./my-etl input.csv`")
        }
        try Seconds.check(interval, option: "--interval")
        try Seconds.check(waitTimeout, option: "--wait-timeout")
        if waitWorkers > 0, listen == nil {
            throw ValidationError("--wait-workers needs --listen tcp://ADDRESS:PORT, where worker hosts connect")
        }
        if let heartbeatTimeout { try Seconds.check(heartbeatTimeout, option: "--heartbeat-timeout") }
        try http.check(keys: security.keys)
    }

    func run() throws {
        try security.apply(to: listen.map { [$0] } ?? [])
        // An abstract socket: no file to clean up, however this command ends.
        let local = "ipc://@mpetl-coordinator-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let registry = http.bootstrapMetrics()
        let server = try CoordinatorServer(
            heartbeatTimeout: heartbeatTimeout.map(Seconds.duration),
            listening: [local] + (listen.map { [$0.description] } ?? []))
        let title = ([URL(fileURLWithPath: command[0]).lastPathComponent] + command.dropFirst()).joined(separator: " ")
        let web = try http.start(server, title: "launch \(title)", registry: registry, keys: security.keys)
        try waitForWorkerHosts(server)
        let program = try ProgramProcess(command: command, coordinator: local, advertise: listen?.advertisableAddress)
        let display = CoordinatorProgress(mode: progress.resolved(isTerminal: isatty(STDERR_FILENO) == 1))
        let period = progress.resolved(isTerminal: isatty(STDERR_FILENO) == 1) == .plain ? interval : 0.2
        while !program.waitForExit(seconds: period) {
            display.show(server.snapshot())
        }
        display.finish(server.snapshot())
        for web in web { web.stop() }
        server.stop()
        throw ExitCode(program.exitStatus)
    }

    private func waitForWorkerHosts(_ server: CoordinatorServer) throws {
        guard waitWorkers > 0 else { return }
        let deadline = ContinuousClock.now + Seconds.duration(waitTimeout)
        while server.workerHosts().reduce(0, { $0 + $1.slots }) < waitWorkers {
            guard ContinuousClock.now < deadline else {
                throw ValidationError(
                    "worker hosts offered \(server.workerHosts().reduce(0) { $0 + $1.slots }) of the \(waitWorkers) "
                        + "slots --wait-workers asked for within \(waitTimeout) s; are `mpetl-coordinator worker "
                        + "--connect \(listen?.description ?? "?")` hosts running?"
                )
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}

/// How progress is shown.
enum ProgressMode: String, ExpressibleByArgument, CaseIterable {
    case auto, plain, off, live

    /// `auto` becomes `live` on a terminal and `plain` elsewhere.
    func resolved(isTerminal: Bool) -> ProgressMode {
        self == .auto ? (isTerminal ? .live : .plain) : self
    }

    static var allValueStrings: [String] { ["auto", "plain", "off"] }
}
