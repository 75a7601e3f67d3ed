import Foundation
import MessagePack
import Testing
import ZeroMQ

@testable import MPETL

/// A peer sending garbage to every socket it can reach while a pipeline runs: workers' inputs
/// and the coordinator. Nothing crashes, no count is corrupted, the output is exact.
@Suite("Garbage from peers", .serialized)
struct GarbagePeerTests {
    /// The frames a hostile or broken peer might send to a worker's input.
    static func badBatches(ordinal: UInt32, stage: UInt16) -> [[UInt8]] {
        var random = SystemRandomNumberGenerator()
        let noise = (0..<64).map { _ in UInt8.random(in: 0...255, using: &random) }
        func header(pipeline: UInt32, stage: UInt16, count: UInt32) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: BatchHeader.size)
            BatchHeader(pipeline: pipeline, stage: stage, producer: 7, sequence: 0, itemCount: count).write(
                into: &bytes)
            return bytes
        }
        let oneItem = (try? MessagePackEncoder().encode(5)) ?? []
        return [
            [],
            Array(noise.prefix(3)),  // truncated header
            noise,  // random bytes
            header(pipeline: ordinal, stage: stage, count: 1_000) + oneItem,  // impossible count
            header(pipeline: ordinal, stage: stage, count: 0) + oneItem,  // trailing bytes
            header(pipeline: ordinal + 40, stage: stage, count: 1) + oneItem,  // unknown pipeline
            header(pipeline: ordinal, stage: stage, count: 1) + [0xC1],  // a byte MessagePack never uses
        ]
    }

    @Test func garbageOnEveryReachableSocketChangesNothing() throws {
        let driver = try Programs.launch(
            "mpetl-test-programs", ["exactly-once", "--items", "60000", "--work-us", "40"])
        defer { driver.killAndClean() }
        let context = try Context()
        var sockets: [String: Socket] = [:]
        var sent = 0
        var freshConnections = 0
        let encoder = MessagePackEncoder()
        let began = ContinuousClock.now
        while !driver.waitForExit(within: .milliseconds(20)) {
            for (file, endpoint) in RunSockets.listening(of: driver.pid) where file.hasSuffix(".sock") {
                if sockets[endpoint] == nil {
                    let socket = try Socket(context, type: file == "coordinator.sock" ? .dealer : .push)
                    try socket.setLinger(milliseconds: 0)
                    try socket.connect(endpoint)
                    sockets[endpoint] = socket
                }
                let socket = sockets[endpoint]!
                if file == "coordinator.sock" {
                    // Noise, and well-formed lies about a real worker and the feed.
                    let pipeline = "\(Syscalls.hostName):\(driver.pid):0"
                    let lies: [ControlMessage] = [
                        .progress(
                            WorkerAddress(pipeline: pipeline, stage: 1, worker: 0),
                            WorkerCounters(batchesIn: 1 << 40, itemsIn: 1 << 40, batchesOut: 0, itemsOut: 0)),
                        .feedComplete(pipeline: pipeline, batches: 1, items: 1),
                        .workerFinished(WorkerAddress(pipeline: pipeline, stage: 0, worker: 0), WorkerCounters()),
                    ]
                    for frame in [[0xFF, 0x00, 0x13]] + lies.map({ (try? encoder.encode($0)) ?? [] }) {
                        _ = try frame.withUnsafeBytes { try socket.trySend($0) }
                        sent += 1
                    }
                    // A scanner: every connection new, so "once per peer" would log each.
                    for _ in 0..<10 {
                        let scanner = try Socket(context, type: .dealer)
                        try scanner.setLinger(milliseconds: 100)
                        try scanner.connect(endpoint)
                        _ = try [UInt8]([0xC1, 0xC1]).withUnsafeBytes { try scanner.trySend($0) }
                        freshConnections += 1
                    }
                } else if file.hasPrefix("p0-s") || file == "results-0.sock" {
                    // A worker's input, or the driver's results collector after the 3 stages.
                    let stage = file == "results-0.sock" ? 3 : UInt16(file.dropFirst(4).prefix { $0.isNumber }) ?? 0
                    for frame in Self.badBatches(ordinal: 0, stage: stage) {
                        _ = try frame.withUnsafeBytes { try socket.trySend($0) }
                        sent += 1
                    }
                }
            }
        }
        let run = try driver.finish(within: .seconds(120))
        #expect(run.status == 0, "stderr: \(run.standardError.prefix(2000))")
        let result = try run.json()
        #expect(result["missing"] as? Int == 0, "\(result)")
        #expect(result["duplicated"] as? Int == 0)
        #expect(result["outOfRange"] as? Int == 0, "no forged item got through")
        #expect(sent > 20, "garbage was sent while the pipeline ran (\(sent) frames)")
        #expect(run.standardError.contains("dropped a malformed batch"), "\(run.standardError.prefix(2000))")
        #expect(
            run.standardError.contains("bytes from localhost:\(getuid()):\(getgid()):\(getpid())"),
            "the log names the sending process")
        #expect(run.standardError.contains("coordinator dropped"))
        // Warnings about untrusted input are rate-limited per kind: one at once, then one per
        // 10 s, each saying how many it stands for; a peer is a few hex bytes.
        let malformedLines = run.standardError.split(separator: "\n").filter {
            $0.contains("coordinator dropped a malformed control message")
        }
        let seconds = Int((ContinuousClock.now - began).components.seconds)
        #expect(freshConnections > 100, "the scanner connected \(freshConnections) times")
        #expect(
            !malformedLines.isEmpty && malformedLines.count <= 1 + seconds / 10 + 1,
            "\(malformedLines.count) lines for \(freshConnections) garbage connections in \(seconds) s")
        #expect(
            malformedLines.allSatisfy { $0.count < 400 && $0.contains("from peer 0x") }, "\(malformedLines.prefix(2))")
        #expect(run.standardError.contains("dropped a malformed results message"), "\(run.standardError.prefix(2000))")
    }
}
