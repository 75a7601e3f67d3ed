import ArgumentParser
import Foundation
import ZeroMQ

/// `keys`: writes the cluster's CURVE key pair.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a CURVE key pair for a cluster.",
        discussion: """
        Copy the file to every host of the cluster and pass it with --keys to launch, serve and \
        worker (programs get it as MPETL_KEYS). Every connection is then encrypted, and a \
        process without the file, or with another one, cannot join, feed or read. The file is \
        written readable by its owner only.

        Example:  mpetl-coordinator keys --output /etc/mpetl/cluster.key
        """)

    @Option(help: ArgumentHelp("Where to write the key pair.", valueName: "file"))
    var output: String = "mpetl-cluster.key"

    @Flag(help: "Replace an existing file.")
    var force = false

    func run() throws {
        guard CurveKeyPair.isCurveAvailable else {
            throw ValidationError("this libzmq was built without CURVE (libsodium); install Debian's libzmq5")
        }
        guard force || !FileManager.default.fileExists(atPath: output) else {
            throw ValidationError("\(output) exists; give --force to replace it (every host then needs the new file)")
        }
        let pair = try CurveKeyPair.generate()
        let text = "# MPETL cluster key pair: keep it secret, copy it to every host of the cluster.\n" + pair.fileContents
        guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(output)")
        }
        // createFile keeps an existing file's mode; make sure it is private either way.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: output)
        print("wrote \(output) (public key \(pair.publicKey))")
    }
}
