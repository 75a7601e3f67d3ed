import ArgumentParser
import Foundation
import SystemPackage
import ZeroMQ

/// `keys`: writes the cluster's CURVE key pair as a secret certificate.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a CURVE key pair for a cluster.",
        discussion: """
            Copy the file to every host of the cluster and pass it with --keys to launch, serve and \
            worker (programs get it as MPETL_KEYS). Every connection is then encrypted, and a \
            process without the file, or with another one, cannot join, feed or read.

            The file is a secret CURVE certificate in ZeroMQ's own format (ZPL, as czmq's zcert and \
            pyzmq's zmq.auth.create_certificates write it), so --keys also takes a NAME.key_secret \
            file those tools made. It is created readable and writable by its owner only (mode \
            0600), and never over an existing file unless --force is given; --force replaces the \
            file in one rename, so a reader never sees half of it.

            Key files from older versions (`public-key = …` lines) still work; --from rewrites one \
            as a certificate holding the same key, so hosts can be switched one at a time.

            --dashboard-token prints the token a cluster's dashboard asks for (launch and serve \
            print the dashboard's address with it), so any host that has the key file can open it.

            Examples:
              mpetl-coordinator keys --output /etc/mpetl/cluster.key
              mpetl-coordinator keys --from cluster.key --output cluster.key --force
              mpetl-coordinator keys --dashboard-token --from /etc/mpetl/cluster.key
            """)

    @Option(help: ArgumentHelp("Where to write the key pair.", valueName: "file"))
    var output: String = "mpetl-cluster.key"

    @Flag(help: "Replace an existing file (with a new key, every host then needs the new file).")
    var force = false

    @Option(
        help: ArgumentHelp(
            "Write the key pair read from this file (an older key file, or a secret certificate) instead of a new one.",
            valueName: "file"))
    var from: String?

    @Flag(help: "Print the dashboard token of the key file --from names, and write nothing.")
    var dashboardToken = false

    func validate() throws {
        if dashboardToken && from == nil {
            throw ValidationError("--dashboard-token needs --from FILE, the cluster's key file")
        }
    }

    func run() throws {
        if dashboardToken, let from {
            print(DashboardAccess.token(for: try Self.read(from)))
            return
        }
        guard CurveKeyPair.isCurveAvailable else {
            throw ValidationError("this libzmq was built without CURVE (libsodium); install Debian's libzmq5")
        }
        let pair = try from.map(Self.read) ?? CurveKeyPair.generate()
        let certificate = pair.secretCertificate(generatedBy: "mpetl-coordinator")
        do {
            try PrivateFile.write(certificate, to: output, replacing: force)
        } catch {
            throw ValidationError(Self.explain(error, writing: output))
        }
        print("wrote \(output) (public key \(pair.publicKey))")
    }

    static func read(_ path: String) throws -> CurveKeyPair {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
        do {
            return try CurveKeyPair(certificate: text)
        } catch {
            throw ValidationError("cannot use \(path): \(error)")
        }
    }

    /// What went wrong writing `path`, and what to do.
    static func explain(_ error: Errno, writing path: String) -> String {
        let folder = FilePath(path).removingLastComponent()
        let directory = folder.isEmpty ? "the current directory" : folder.string
        switch error {
        case .fileExists:
            return "\(path) exists; give --force to replace it (every host then needs the new file)"
        case .permissionDenied, .notPermitted, .readOnlyFileSystem:
            return "cannot write \(path): \(error); choose a directory you may write to (\(directory) is not one), "
                + "or run as a user who may write there"
        case .noSuchFileOrDirectory:
            return "cannot write \(path): \(directory) does not exist; create it first"
        case .isDirectory:
            return "cannot write \(path): it is a directory; give a file name"
        default:
            return "cannot write \(path): \(error)"
        }
    }
}
