import ArgumentParser
import Foundation
import MPETL
import ZeroMQ

/// `--keys` and `--insecure`, shared by the commands that open the cluster to the network.
struct SecurityOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The cluster's key file from `mpetl-coordinator keys`; every process of the cluster needs it (passed on as "
                + "MPETL_KEYS).",
            valueName: "file"))
    var keys: String?

    @Flag(help: "Allow a non-loopback TCP address without keys: anyone who reaches it can join, feed and read.")
    var insecure = false

    /// Checks that a TCP address off this host is protected, then hands the key file to this
    /// process's sockets and to every program and worker it starts.
    func apply(to endpoints: [Endpoint]) throws {
        if let keys {
            guard FileManager.default.isReadableFile(atPath: keys) else {
                throw ValidationError(
                    "cannot read the key file \(keys); write one with `mpetl-coordinator keys --output \(keys)`")
            }
            setenv(EnvironmentVariable.keys.name, URL(fileURLWithPath: keys).standardizedFileURL.path, 1)
            return
        }
        let exposed = endpoints.filter(\.isOffHost).map(\.description)
        guard exposed.isEmpty || insecure else {
            throw ValidationError(
                "\(exposed.joined(separator: ", ")) can be reached from other hosts: give --keys FILE (write one with "
                    + "`mpetl-coordinator keys`), or --insecure to allow anyone who reaches it"
            )
        }
    }
}
