import Foundation
import Testing
import ZeroMQ

/// `mpetl-coordinator keys`, run as the built executable, and how programs read its files.
@Suite("mpetl-coordinator keys", .serialized, .enabled(if: CurveKeyPair.isCurveAvailable, "libzmq lacks CURVE"))
struct KeysCommandTests {
    /// A new empty directory for one test, removed by `defer`.
    static func folder(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "mpetl-keys-\(getpid())-\(name)"
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    static func keys(_ arguments: [String]) throws -> ProgramRun {
        try Programs.run("mpetl-coordinator", ["keys"] + arguments, timeout: .seconds(30))
    }

    static func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    static func inode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
    }

    /// What `keys` wrote before it wrote certificates.
    static func legacyKeyFile(_ keys: CurveKeyPair) -> String {
        "# MPETL cluster key pair: keep it secret, copy it to every host of the cluster.\n"
            + "public-key = \(keys.publicKey)\nsecret-key = \(keys.secretKey)\n"
    }

    @Test func writesAPrivateSecretCertificate() throws {
        let folder = try Self.folder("new")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cluster.key"
        let run = try Self.keys(["--output", path])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(try Self.mode(path) == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let pair = try CurveKeyPair(certificate: text)
        #expect(!CurveKeyPair.isLegacyKeyFile(text))
        #expect(text.hasPrefix("#   ****  Generated on "))
        #expect(text.contains("by mpetl-coordinator  ****\n#   ZeroMQ CURVE **Secret** Certificate\n"))
        #expect(text.contains("\nmetadata\ncurve\n    public-key = \"\(pair.publicKey)\"\n    secret-key = \""))
        #expect(run.standardOutput == "wrote \(path) (public key \(pair.publicKey))\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["cluster.key"])
    }

    @Test func neverWritesOverAFileOrThroughALinkWithoutForce() throws {
        let folder = try Self.folder("refuse")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cluster.key"
        try "keep me\n".write(toFile: path, atomically: false, encoding: .utf8)
        let again = try Self.keys(["--output", path])
        #expect(again.status == 64)
        #expect(again.standardError.contains("\(path) exists; give --force to replace it"), "\(again.standardError)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me\n")

        // A link planted where the key goes would send the secret elsewhere: O_EXCL refuses it.
        let link = folder + "/planted.key"
        let elsewhere = folder + "/elsewhere"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: elsewhere)
        let linked = try Self.keys(["--output", link])
        #expect(linked.status == 64)
        #expect(linked.standardError.contains("exists; give --force"))
        #expect(!FileManager.default.fileExists(atPath: elsewhere))
    }

    @Test func forceReplacesTheFileInOneRenameAndMakesItPrivate() throws {
        let folder = try Self.folder("force")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cluster.key"
        try "old\n".write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let oldInode = try Self.inode(path)

        let run = try Self.keys(["--output", path, "--force"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(try Self.mode(path) == 0o600, "the new file is private, whatever the old one's mode")
        // A new file renamed over the old one, not the old one rewritten in place.
        #expect(try Self.inode(path) != oldInode)
        _ = try CurveKeyPair(certificate: String(contentsOfFile: path, encoding: .utf8))
        let left = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(left == ["cluster.key"], "no temporary file left")

        // --force where nothing exists yet creates the file as without it.
        let fresh = folder + "/fresh.key"
        #expect(try Self.keys(["--output", fresh, "--force"]).status == 0)
        #expect(try Self.mode(fresh) == 0o600)
    }

    @Test func fromRewritesALegacyKeyFileAsACertificateWithTheSameKey() throws {
        let folder = try Self.folder("from")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cluster.key"
        let pair = try CurveKeyPair.generate()
        try Self.legacyKeyFile(pair).write(toFile: path, atomically: false, encoding: .utf8)

        let run = try Self.keys(["--from", path, "--output", path, "--force"])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!CurveKeyPair.isLegacyKeyFile(text))
        #expect(try CurveKeyPair(certificate: text) == pair)
        #expect(try Self.mode(path) == 0o600)
    }

    @Test func errorsSayWhatToDo() throws {
        let folder = try Self.folder("errors")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let missing = try Self.keys(["--output", folder + "/no/such/dir/cluster.key"])
        #expect(missing.status == 64)
        #expect(
            missing.standardError.contains("\(folder)/no/such/dir does not exist; create it first"),
            "\(missing.standardError)")

        let directory = try Self.keys(["--output", folder, "--force"])
        #expect(directory.status == 64)
        #expect(directory.standardError.contains("cannot write \(folder)"), "\(directory.standardError)")

        let publicOnly = folder + "/server.key"
        try "metadata\ncurve\n    public-key = \"\(try CurveKeyPair.generate().publicKey)\"\n"
            .write(toFile: publicOnly, atomically: false, encoding: .utf8)
        let fromPublic = try Self.keys(["--from", publicOnly, "--output", folder + "/out.key"])
        #expect(fromPublic.status == 64)
        #expect(fromPublic.standardError.contains("cannot use \(publicOnly): this is a public certificate"))
        #expect(fromPublic.standardError.contains(".key_secret"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/out.key"))
    }

    /// A program with MPETL_KEYS naming a legacy file open to others runs (CURVE on every
    /// socket), and says once, not once per worker, what to fix.
    @Test func aProgramWarnsOnceAboutAnOpenOrLegacyKeyFileAndStillRuns() throws {
        let folder = try Self.folder("warn")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/cluster.key"
        try Self.legacyKeyFile(try CurveKeyPair.generate()).write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)

        let run = try Programs.run(
            "mpetl-test-programs", ["exactly-once", "--items", "200"],
            timeout: .seconds(60), environment: ["MPETL_KEYS": path])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(try run.json()["missing"] as? Int == 0)
        let lines = run.standardError.split(separator: "\n")
        let open = lines.filter { $0.contains("MPETL_KEYS=\(path) is open to other users (mode 644)") }
        #expect(open.count == 1, "\(run.standardError)")
        #expect(open.first?.contains("chmod 600 \(path)") == true)
        let legacy = lines.filter { $0.contains("MPETL_KEYS=\(path) is in MPETL's old format") }
        #expect(legacy.count == 1, "\(run.standardError)")
        #expect(legacy.first?.contains("mpetl-coordinator keys --from \(path) --output \(path) --force") == true)

        // The same key rewritten by `keys`: no warning at all.
        #expect(try Self.keys(["--from", path, "--output", path, "--force"]).status == 0)
        let quiet = try Programs.run(
            "mpetl-test-programs", ["exactly-once", "--items", "200"],
            timeout: .seconds(60), environment: ["MPETL_KEYS": path])
        #expect(quiet.status == 0, "stderr: \(quiet.standardError)")
        #expect(!quiet.standardError.contains("MPETL_KEYS="), "\(quiet.standardError)")
    }
}
