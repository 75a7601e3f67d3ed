import ArgumentParser
import Foundation
import MPETL

/// `status`: what a running coordinator knows, as a table or JSON.
struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the pipelines, stages, workers and counts of a running coordinator.",
        discussion: "Example:  mpetl-coordinator status ipc://@mpetl --json")

    @Argument(help: ArgumentHelp("The coordinator's endpoint.", valueName: "endpoint"))
    var endpoint: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Option(help: ArgumentHelp("Seconds to wait for an answer.", valueName: "seconds"))
    var timeout: Double = 3

    func run() throws {
        let pipelines = try CoordinatorServer.status(of: endpoint, timeout: .milliseconds(Int(timeout * 1000)))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(pipelines), as: UTF8.self))
        } else if pipelines.isEmpty {
            print("no pipelines")
        } else {
            for line in ProgressDisplay(mode: .plain).render(pipelines, rates: false) { print(line) }
        }
    }
}
