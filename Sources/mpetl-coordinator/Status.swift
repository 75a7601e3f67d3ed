import ArgumentParser
import Foundation
import MPETL
import ZeroMQ

/// `status`: what a running coordinator knows, as a table or JSON.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the pipelines, stages, workers and counts of a running coordinator.",
        discussion: "Example:  mpetl-coordinator status ipc://@mpetl --json")

    @Argument(
        help: ArgumentHelp("The coordinator's endpoint.", valueName: "endpoint"), transform: Endpoint.connectArgument)
    var endpoint: Endpoint

    @OptionGroup var security: SecurityOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: ArgumentHelp("Seconds to wait for an answer.", valueName: "seconds"))
    var timeout: Double = 3

    func run() throws {
        try security.apply(to: [])
        let pipelines = try CoordinatorServer.status(
            of: endpoint.description, timeout: .milliseconds(Int(timeout * 1000)))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(pipelines), as: UTF8.self))
        } else if pipelines.isEmpty {
            print("no pipelines")
        } else {
            // One snapshot: counts, busy time and hosts, but no rates (they need two).
            for line in CoordinatorProgress.lines(pipelines) { print(line) }
        }
    }
}
