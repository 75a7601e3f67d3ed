import ArgumentParser
import Foundation
import MPETL
import ZeroMQ

/// `worker`: lend this host's processes to a coordinator elsewhere.
struct Worker: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run workers of PROGRAM on this host for a coordinator on another host.",
        discussion: """
            Connects to the coordinator and offers --slots workers. When a pipeline of a program \
            with the same file name starts there, all free slots join its stage with the most \
            declared processes and share the load with the driver's own workers. PROGRAM must be \
            the same build as the driver's: a worker whose program defines other stages is \
            refused, and this command then exits with status 3 naming the mismatch.

            Example:  mpetl-coordinator worker --connect tcp://10.0.0.1:5555 --slots 4 -- ./my-etl input.csv
            """)

    @Option(
        help: ArgumentHelp("The coordinator's endpoint, tcp://HOST:PORT.", valueName: "endpoint"),
        transform: Endpoint.connectArgument)
    var connect: Endpoint

    @Option(help: "How many workers may run here at once.")
    var slots: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp("This host's name in progress and errors (default: the host name).", valueName: "name"))
    var name: String?

    @Option(
        help: ArgumentHelp(
            "The address other hosts reach this one at (default: the one used towards the coordinator).",
            valueName: "address"))
    var advertise: String?

    @OptionGroup var security: SecurityOptions

    @Option(help: ArgumentHelp("Seconds the coordinator may take to acknowledge this host.", valueName: "seconds"))
    var answerTimeout: Double = 10

    @Option(
        help: ArgumentHelp(
            "Seconds the coordinator may be silent, once it answered, before this host ends its workers and joins "
                + "again as a new host (capped at half the coordinator's --heartbeat-timeout, so they stop before they "
                + "are replaced). A coordinator on this host is watched through the kernel instead.",
            valueName: "seconds"))
    var coordinatorTimeout: Double = 10

    @Argument(
        parsing: .postTerminator,
        help: ArgumentHelp("The program and its arguments, after --, as the driver runs them.", valueName: "program"))
    var command: [String] = []

    func validate() throws {
        guard connect.tcpHost != nil else {
            throw ValidationError(
                "--connect takes tcp://HOST:PORT, the address `launch --listen` or `serve --listen` uses")
        }
        guard slots >= 1 else { throw ValidationError("--slots must be at least 1") }
        guard !command.isEmpty else {
            throw ValidationError("name the program to run after --, the same build the driver runs")
        }
        try Seconds.check(answerTimeout, option: "--answer-timeout")
        try Seconds.check(coordinatorTimeout, option: "--coordinator-timeout")
    }

    func run() throws {
        // A parent may also have left these ignored: this host must stop when told to, and its
        // workers die with it.
        Signals.unblockStopSignals()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        try security.apply(to: [connect])
        let program = URL(fileURLWithPath: command[0]).standardizedFileURL.path
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw ValidationError("cannot run \(command[0]): not an executable file")
        }
        let host = try WorkerHost(
            coordinator: connect.description, slots: slots, program: program, arguments: Array(command.dropFirst()),
            name: name, advertise: advertise, answerTimeout: Seconds.duration(answerTimeout),
            coordinatorTimeout: Seconds.duration(coordinatorTimeout))
        do {
            try host.run()
        } catch let error as PipelineError where error.code == .startFailed {
            FileHandle.standardError.write(Data("mpetl-coordinator worker: refused: \(error.reason)\n".utf8))
            throw ExitCode(3)
        } catch let error as PipelineError {
            FileHandle.standardError.write(Data("mpetl-coordinator worker: \(error.reason)\n".utf8))
            throw ExitCode(4)
        }
    }
}
