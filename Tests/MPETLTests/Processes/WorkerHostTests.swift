import Foundation
import Testing

/// Worker hosts joining a coordinator over TCP, and the refusals, on loopback. (Separate
/// network namespaces are exercised by deploy/netns-cluster.sh.)
@Suite("Worker hosts", .serialized)
struct WorkerHostTests {
    /// A loopback endpoint on a port the kernel just found free. (A port derived from the pid
    /// could fall in the ephemeral range, where another test's connection or `:*` bind may hold
    /// it: the coordinator then cannot listen, and the host under test meets someone else.)
    /// `offset` only keeps call sites telling their endpoints apart.
    static func freeEndpoint(_ offset: Int) -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let port: UInt16 = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(descriptor, raw, length) == 0, getsockname(descriptor, raw, &length) == 0 else { return 0 }
                return UInt16(bigEndian: pointer.pointee.sin_port)
            }
        }
        return "tcp://127.0.0.1:\(port == 0 ? 20_000 + Int(getpid()) % 20_000 + offset : Int(port))"
    }

    static func keyFile(_ name: String) throws -> String {
        let path = NSTemporaryDirectory() + "mpetl-test-\(getpid())-\(name).key"
        try? FileManager.default.removeItem(atPath: path)
        let run = try Programs.run("mpetl-coordinator", ["keys", "--output", path], timeout: .seconds(30))
        #expect(run.status == 0, "stderr: \(run.standardError)")
        return path
    }

    /// Removes what a test left in the temporary directory.
    static func remove(_ paths: String...) {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }

    static func worker(
        _ endpoint: String, name: String, program: String = Programs.url("mpetl-test-programs").path,
        extra: [String] = [], environment: [String: String] = [:]
    ) throws -> RunningProgram {
        try Programs.launch(
            "mpetl-coordinator",
            [
                "worker", "--connect", endpoint, "--slots", "2", "--name", name,
                "--advertise", "127.0.0.1",
            ] + extra + ["--", program, "hosts"],
            environment: environment)
    }

    static func launch(_ endpoint: String, items: Int, extra: [String] = [], environment: [String: String] = [:]) throws
        -> ProgramRun
    {
        try Programs.run(
            "mpetl-coordinator",
            ["launch", "--listen", endpoint, "--wait-workers", "2", "--progress", "off"] + extra
                + ["--", Programs.url("mpetl-test-programs").path, "hosts", "--items", "\(items)", "--work-us", "50"],
            timeout: .seconds(90), environment: environment)
    }

    /// A copy of mpetl-test-programs under its own name whose GNU build id differs in one byte:
    /// the same stages, types and counts, another build.
    static func anotherBuild(in folder: String) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: Programs.url("mpetl-test-programs")))
        // The note: name size 4, descriptor size 20, type 3 (NT_GNU_BUILD_ID), "GNU\0", the id.
        let header: [UInt8] = [4, 0, 0, 0, 20, 0, 0, 0, 3, 0, 0, 0, 0x47, 0x4E, 0x55, 0]
        let start = try #require(
            (0...(bytes.count - header.count)).first { bytes[$0..<($0 + header.count)].elementsEqual(header) },
            "the test program has a GNU build id")
        bytes[start + header.count] ^= 0xFF
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/mpetl-test-programs"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return path
    }

    @Test func aBuildWithTheSameStagesButOtherCodeIsRefusedUnlessTheUserVouchesForIt() throws {
        let folder = NSTemporaryDirectory() + "mpetl-rebuilt-\(getpid())"
        defer { Self.remove(folder) }
        let rebuilt = try Self.anotherBuild(in: folder)
        let endpoint = Self.freeEndpoint(6)
        let host = try Self.worker(endpoint, name: "host-rebuilt", program: rebuilt)
        defer { host.killAndClean() }
        let run = try Self.launch(endpoint, items: 2_000)
        #expect(run.status == 0, "the pipeline finishes with the driver's workers: \(run.standardError)")
        #expect((try run.json()["perHost"] as? [String: Int])?.keys.sorted() == ["driver-host"])
        let refused = try host.finish(within: .seconds(30))
        #expect(refused.status == 3)
        #expect(refused.standardError.contains("but the driver runs build id "), "\(refused.standardError)")
        #expect(refused.standardError.contains("with the same stages"))
        #expect(refused.standardError.contains("MPETL_BUILD_IDENTITY"))

        // Vouched for: the same identity on both sides admits it.
        let vouched = ["MPETL_BUILD_IDENTITY": "etl-2026-11-30"]
        let endpoint2 = Self.freeEndpoint(7)
        let admitted = try Self.worker(endpoint2, name: "host-vouched", program: rebuilt, environment: vouched)
        defer { admitted.killAndClean() }
        let shared = try Self.launch(endpoint2, items: 20_000, environment: vouched)
        #expect(shared.status == 0, "\(shared.standardError)")
        let perHost = try shared.json()["perHost"] as? [String: Int] ?? [:]
        #expect((perHost["host-vouched"] ?? 0) > 0, "the vouched-for build did work: \(perHost)")
    }

    @Test func aWorkerHostSharesTheLoadWithTheDriversWorkers() throws {
        let endpoint = Self.freeEndpoint(1)
        let keys = try Self.keyFile("shared")
        defer { Self.remove(keys) }
        let host = try Self.worker(endpoint, name: "host-b", extra: ["--keys", keys])
        defer { host.killAndClean() }
        let run = try Self.launch(endpoint, items: 20_000, extra: ["--keys", keys])
        #expect(run.status == 0, "stderr: \(run.standardError)")
        let result = try run.json()
        #expect(result["count"] as? Int == 20_000)
        #expect(result["missing"] as? Int == 0)
        #expect(result["extra"] as? Int == 0)
        let perHost = result["perHost"] as? [String: Int] ?? [:]
        #expect((perHost["host-b"] ?? 0) > 0, "the worker host processed items: \(perHost)")
        #expect((perHost["driver-host"] ?? 0) > 0, "and so did the driver's own workers: \(perHost)")
    }

    @Test func aWorkerHostWithAnotherBuildIsRefusedNamingTheMismatch() throws {
        let endpoint = Self.freeEndpoint(2)
        // Another program under the same file name: an outdated or different build.
        let folder = NSTemporaryDirectory() + "mpetl-wrong-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let impostor = folder + "/mpetl-test-programs"
        defer { Self.remove(folder) }
        try FileManager.default.copyItem(atPath: Programs.url("nursery-rhyme").path, toPath: impostor)
        let host = try Self.worker(endpoint, name: "host-old", program: impostor)
        defer { host.killAndClean() }
        let run = try Self.launch(endpoint, items: 2_000)
        #expect(run.status == 0, "the pipeline finishes with the driver's workers: \(run.standardError)")
        let result = try run.json()
        #expect(result["missing"] as? Int == 0)
        #expect((result["perHost"] as? [String: Int])?.keys.sorted() == ["driver-host"])
        let refused = try host.finish(within: .seconds(30))
        #expect(refused.status == 3)
        #expect(
            refused.standardError.contains(
                "refused: a worker on host-old was refused: the worker's program defines pipeline #0 as [pipeline #0: "
                    + "origin 1 (String -> String)"
            ),
            "\(refused.standardError)")
        #expect(refused.standardError.contains("but the driver defined [pipeline #0: origin 1 (Int -> Int)"))
    }

    @Test(arguments: ["missing", "wrong"])
    func aWorkerHostWithoutTheRightKeyCannotJoin(key: String) throws {
        let endpoint = Self.freeEndpoint(key == "missing" ? 3 : 4)
        let keys = try Self.keyFile("cluster-\(key)")
        let other = try Self.keyFile("other-\(key)")
        defer { Self.remove(keys, other) }
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", endpoint, "--keys", keys])
        defer { kill(server.pid, SIGKILL) }
        let extra = key == "missing" ? [] : ["--keys", other]
        let host = try Self.worker(endpoint, name: "intruder", extra: extra + ["--answer-timeout", "2"])
        let done = try host.finish(within: .seconds(30))
        #expect(done.status == 4)
        #expect(done.standardError.contains("did not answer within 2.0 seconds"), "\(done.standardError)")
        #expect(done.standardError.contains("--keys"))
    }

    @Test func aProgramWithAnotherKeyCannotRegisterAndIsToldWhy() throws {
        let endpoint = Self.freeEndpoint(5)
        let keys = try Self.keyFile("cluster-driver")
        let other = try Self.keyFile("other-driver")
        defer { Self.remove(keys, other) }
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", endpoint, "--keys", keys])
        defer { kill(server.pid, SIGKILL) }
        let run = try Programs.run(
            "mpetl-test-programs", ["hosts", "--items", "10"],
            timeout: .seconds(60),
            environment: [
                "MPETL_COORDINATOR": endpoint, "MPETL_KEYS": other,
                "MPETL_COORDINATOR_TIMEOUT": "3",
            ])
        #expect(run.status == 1)
        let result = try run.json()
        #expect(result["code"] as? String == "start failed")
        #expect(
            (result["error"] as? String ?? "").contains(
                "did not answer within 3.0 seconds (MPETL_COORDINATOR_TIMEOUT)"), "\(result)")
        #expect((result["error"] as? String ?? "").contains("MPETL_KEYS"))
    }

    @Test func listeningOffThisHostWithoutKeysIsRefused() throws {
        let run = try Programs.run(
            "mpetl-coordinator", ["serve", "--listen", "tcp://10.200.0.1:5555"], timeout: .seconds(30))
        #expect(run.status == 64)
        #expect(run.standardError.contains("tcp://10.200.0.1:5555 can be reached from other hosts: give --keys FILE"))
    }
}
