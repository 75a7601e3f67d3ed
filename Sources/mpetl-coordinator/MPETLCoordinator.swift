import ArgumentParser

/// The `mpetl-coordinator` command: a coordinator outside the program, for watching a job's
/// progress and (later) for sharing one coordinator between programs and hosts.
@main
struct MPETLCoordinator: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpetl-coordinator",
        abstract: "Run MPETL pipelines under a standalone coordinator.",
        discussion: """
            Programs built with MPETL embed a coordinator by default. Run them under `launch` to \
            watch live progress per stage, or point several programs at one `serve` coordinator \
            with MPETL_COORDINATOR=ENDPOINT.
            """,
        subcommands: [Launch.self, Serve.self, Worker.self, Status.self, Keys.self])
}
