import Foundation
import MPETL
import MessagePack
import ZeroMQ

/// The same shapes over raw PUSH/PULL with the project's ZeroMQ wrapper and no pipeline
/// logic: the driver pushes batches of `chunk` encoded items to relay processes that decode,
/// do the stage's work, re-encode and push to sink processes that decode and count. No
/// coordinator, headers, counting or collector: what the transport and the codec allow.
enum Baseline {
    static let roleFlag = "--baseline-role"

    /// Items per second of the raw shape of `spec`.
    static func itemsPerSecond(_ spec: RunSpec) throws -> Double {
        let folder = NSTemporaryDirectory() + "mpetl-baseline-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let relays = spec.processes
        let sinks = spec.workload == "w2" ? 1 : spec.processes
        let feed = "ipc://\(folder)/feed"
        let report = "ipc://\(folder)/report"
        let sinkEndpoints = (0..<sinks).map { "ipc://\(folder)/sink-\($0)" }

        let context = try Context()
        let push = try Socket(context, type: .push)
        try push.setLinger(milliseconds: 0)
        try push.bind(feed)
        let reports = try Socket(context, type: .pull)
        try reports.setLinger(milliseconds: 0)
        try reports.bind(report)

        var children: [Process] = []
        defer { for child in children where child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        func start(_ role: [String]) throws {
            let child = Process()
            child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            child.arguments = [roleFlag] + role + ["--workload", spec.workload, "--report", report]
            try child.run()
            children.append(child)
        }
        for index in 0..<sinks { try start(["sink", "--input", sinkEndpoints[index], "--index", "\(index)"]) }
        for _ in 0..<relays {
            try start(["relay", "--input", feed, "--outputs", sinkEndpoints.joined(separator: ",")])
        }

        let frame = Message()
        var ready = 0
        while ready < relays + sinks {
            try reports.receive(into: frame)
            ready += 1
        }
        var counted = [UInt64](repeating: 0, count: sinks)
        // Batches sized by the load are compared with raw batches of 100.
        let chunk = spec.chunk == 0 ? 100 : spec.chunk
        let batches = stride(from: 0, to: spec.items, by: chunk).map { first in (first, min(spec.items, first + chunk))
        }
        let wall = try seconds {
            for (first, end) in batches {
                try push.send(try encode(spec.workload, first..<end, of: spec.items))
            }
            while counted.reduce(0, +) < UInt64(spec.items) {
                try reports.receive(into: frame)
                frame.withUnsafeBytes { bytes in
                    let index = Int(bytes[0])
                    counted[index] = bytes.loadUnaligned(fromByteOffset: 1, as: UInt64.self)
                }
            }
        }
        return Double(spec.items) / wall
    }

    private static func encode(_ workload: String, _ range: Range<Int>, of count: Int) throws -> [UInt8] {
        let encoder = MessagePackEncoder()
        switch workload {
        case "w1": return try encoder.encode(range.map { Line.make($0, of: count) })
        case "w4": return try encoder.encode(range.map { Blob($0, of: count) })
        default: return try encoder.encode(range.map { Probe($0, of: count) })
        }
    }

    /// Runs a relay or a sink; never returns.
    static func runRole(_ arguments: [String]) -> Never {
        func value(_ name: String) -> String {
            arguments.firstIndex(of: name).map { arguments[$0 + 1] } ?? ""
        }
        do {
            let context = try Context()
            let reports = try Socket(context, type: .push)
            try reports.connect(value("--report"))
            let input = try Socket(context, type: .pull)
            let workload = value("--workload")
            let decoder = MessagePackDecoder()
            let encoder = MessagePackEncoder()
            let frame = Message()
            if arguments.contains("relay") {
                try input.connect(value("--input"))
                let output = try Socket(context, type: .push)
                for endpoint in value("--outputs").split(separator: ",") { try output.connect(String(endpoint)) }
                try reports.send([0])
                while true {
                    try input.receive(into: frame)
                    let bytes = frame.withUnsafeBytes { Array($0) }
                    switch workload {
                    case "w1":
                        try output.send(
                            try encoder.encode(try decoder.decode([String].self, from: bytes).map { $0.uppercased() }))
                    case "w2":
                        // As W2's task: the work, then only a count passes on.
                        let probes = try decoder.decode([Probe].self, from: bytes)
                        for _ in probes { SharedClock.burnCPU(microseconds: 50) }
                        try output.send(try encoder.encode(probes.count))
                    case "w4": try output.send(try encoder.encode(try decoder.decode([Blob].self, from: bytes)))
                    default: try output.send(try encoder.encode(try decoder.decode([Probe].self, from: bytes)))
                    }
                }
            } else {
                try input.bind(value("--input"))
                try reports.send([0])
                var count: UInt64 = 0
                var reported: UInt64 = 0
                let index = UInt8(value("--index")) ?? 0
                let poller = Poller()
                poller.add(input, events: .readable)
                while true {
                    // Count everything waiting, then tell the driver, without ever blocking on
                    // it (it reads only after sending everything): a report that does not fit
                    // is sent again on the next quiet moment.
                    while try input.tryReceive(into: frame) {
                        let bytes = frame.withUnsafeBytes { Array($0) }
                        switch workload {
                        case "w1": count += UInt64(try decoder.decode([String].self, from: bytes).count)
                        case "w2": count += UInt64(try decoder.decode(Int.self, from: bytes))
                        case "w4": count += UInt64(try decoder.decode([Blob].self, from: bytes).count)
                        default: count += UInt64(try decoder.decode([Probe].self, from: bytes).count)
                        }
                    }
                    if count != reported {
                        var message = [index]
                        withUnsafeBytes(of: count) { message += $0 }
                        if try message.withUnsafeBytes({ try reports.trySend($0) }) { reported = count }
                    }
                    _ = try poller.poll(timeoutMilliseconds: count != reported ? 10 : nil)
                }
            }
        } catch {
            FileHandle.standardError.write(Data("baseline \(arguments): \(error)\n".utf8))
            exit(1)
        }
    }
}
