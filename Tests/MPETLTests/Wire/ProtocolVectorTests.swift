import Foundation
import MessagePack
import Testing

@testable import MPETL

/// `docs/protocol-vectors.json`: the exact bytes of sample values, a batch and control
/// messages, as `docs/protocol.md` describes them. A program in another language can test
/// its encoder against the same file; this test keeps the file and the code in step.
@Suite("Protocol test vectors")
struct ProtocolVectorTests {
    struct Point: Codable, Equatable {
        var x: Int
        var y: Int
    }
    enum Shape: Codable, Equatable {
        case circle(radius: Double)
        case named(String)
        case empty
    }
    struct Row: Codable, Equatable {
        var id: Int
        var name: String?
        var tags: [String]
        var blob: Data
    }

    struct Vector: Codable {
        var name: String
        var description: String
        var hex: String
    }

    static let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../docs/protocol-vectors.json").standardizedFileURL

    /// Each sample's name, description, encoding, and a check that decoding gives it back.
    static func samples() throws -> [(String, String, [UInt8], ([UInt8]) throws -> Bool)] {
        let encoder = MessagePackEncoder()
        let decoder = MessagePackDecoder()
        func value<T: Codable & Equatable>(_ name: String, _ description: String, _ sample: T) throws -> (
            String, String, [UInt8], ([UInt8]) throws -> Bool
        ) {
            (name, description, try encoder.encode(sample), { try decoder.decode(T.self, from: $0) == sample })
        }
        var header = BatchHeader(pipeline: 0, stage: 1, producer: 2, sequence: 3, itemCount: 2)
        header.firstOutput = 40
        header.settled = 38
        var batch = [UInt8](repeating: 0, count: BatchHeader.size)
        header.write(into: &batch)
        let items = try encoder.encode("a") + encoder.encode("é")
        var ids: [UInt8] = []
        for id: UInt64 in [10, 11] { withUnsafeBytes(of: id.littleEndian) { ids += $0 } }
        batch += items + ids
        // What an external sender may still write: version 2's 24-byte header.
        var version2 = Array(batch.prefix(BatchHeader.sizeOfVersion2)) + items + ids
        version2[1] = 2
        func readsBatch(_ bytes: [UInt8], as expected: BatchHeader) throws -> Bool {
            try bytes.withUnsafeBytes { raw in
                let header = try BatchHeader(parsing: raw)
                var reader = MessagePackReader(header.items(of: raw))
                let items = [try reader.decode(String.self), try reader.decode(String.self)]
                let ids = [BatchHeader.id(0, in: header.ids(of: raw)), BatchHeader.id(1, in: header.ids(of: raw))]
                return header == expected && items == ["a", "é"] && reader.isAtEnd && ids == [10, 11]
            }
        }
        var expectedVersion2 = BatchHeader(pipeline: 0, stage: 1, producer: 2, sequence: 3, itemCount: 2)
        expectedVersion2.length = BatchHeader.sizeOfVersion2
        let address = WorkerAddress(pipeline: "host:42:0", stage: 1, worker: 0)
        let control: [(String, String, ControlMessage)] = [
            (
                "control-feed-complete",
                "every batch of pipeline \"host:42:0\"'s closed feed (3 batches, 300 items) was acknowledged",
                .feedComplete(pipeline: "host:42:0", batches: 3, items: 300)
            ),
            (
                "control-progress", "a worker's counters",
                .progress(address, WorkerCounters(batchesIn: 2, itemsIn: 200, batchesOut: 2, itemsOut: 190))
            ),
            (
                "control-done", "a worker is done with producer 0's batches up to sequence 7",
                .done(address, upTo: [0: 7])
            ),
            (
                "control-acknowledged", "the coordinator relays it to the producer: consumer 0 acknowledged up to 7",
                .acknowledged(pipeline: "host:42:0", consumer: 0, upTo: 7)
            ),
            ("control-heartbeat", "an agent is alive", .heartbeat),
            (
                "control-agent-hello",
                "an agent's first message: process 4242 in kernel scope \"boot/pid:[1]/net:[2]\"",
                .agentHello(host: "host-b", process: ProcessIdentity(pid: 4242, kernelScope: "boot/pid:[1]/net:[2]"))
            ),
            (
                "control-welcome",
                "the coordinator's answer: its process, and a 30 s heartbeat timeout for remote hosts",
                .welcome(
                    CoordinatorInfo(
                        process: ProcessIdentity(pid: 7, kernelScope: "boot/pid:[1]/net:[2]"),
                        hostTimeoutMilliseconds: 30_000))
            ),
            ("control-fenced", "an agent declared lost is refused from now on", .fenced(reason: "silent for 30 s")),
            (
                "control-resolve", "a worker asks where the pipeline named \"inbox\" is",
                .resolve(name: "inbox", from: address)
            ),
            (
                "control-worker-exited-holding",
                "an agent's worker was killed by SIGSEGV while running the item with id 42, described as \"7\"",
                .workerExited(address, .signaled(11), holding: HeldItem(id: 42, item: "7"))
            ),
            (
                "control-producer-lost",
                "worker 2 of the stage before died; its first 38 outputs came from done inputs",
                .producerLost(pipeline: "host:42:0", producer: 2, settled: 38)
            ),
            (
                "control-originals-ran",
                "of lost producer 2's unsettled outputs this worker ran the items with ids 40 and 41",
                .originalsRan(address, producer: 2, ids: [40, 41])
            ),
            (
                "control-consumer-lost-copies",
                "consumer 2 of stage 1 died: replay its batches, leaving out the items with ids 40 and 41",
                .consumerLost(pipeline: "host:42:0", stage: 1, consumer: 2, copies: [40, 41])
            ),
            (
                "control-suspects",
                "item 42 is suspected; item 43 is quarantined, and workers skip it with that reason",
                .suspects([
                    SuspectItem(id: 42),
                    SuspectItem(id: 43, quarantine: "quarantined: it killed 2 workers of this stage"),
                ])
            ),
        ]
        return [
            try value("int-small", "Int 5: positive fixint", 5),
            try value("int-negative", "Int -1: negative fixint", -1),
            try value("int-300", "Int 300: uint16", 300),
            try value("int-min", "Int64.min: int64", Int64.min),
            try value("double", "Double 1.5: float64", 1.5),
            try value("bool", "true", true),
            try value("string", "\"line 1\": fixstr", "line 1"),
            try value("string-utf8", "\"héllo ✓\": fixstr of UTF-8 bytes", "héllo ✓"),
            try value("optional-nil", "Int? nil: nil", Int?.none),
            try value("data", "Data [1, 2, 3]: bin8", Data([1, 2, 3])),
            try value("array", "[1, 2]: fixarray", [1, 2]),
            try value("dictionary", "[\"k\": 1]: fixmap", ["k": 1]),
            try value("struct", "Point(x: 1, y: 2): a map keyed by property name", Point(x: 1, y: 2)),
            try value(
                "struct-nested", "Row: optional, array and Data properties",
                Row(id: 7, name: nil, tags: ["a"], blob: Data([0xFF]))),
            try value(
                "enum-associated", "Shape.circle(radius: 2.0): a one-entry map from case name to a map of its values",
                Shape.circle(radius: 2)),
            try value("enum-unlabelled", "Shape.named(\"x\"): positional values are keyed _0, _1, …", Shape.named("x")),
            try value("enum-empty", "Shape.empty: a one-entry map from case name to an empty map", Shape.empty),
            (
                "batch",
                "a batch for pipeline 0 stage 1 from producer 2, sequence 3, its first item the producer's 41st "
                    + "output (40 before it), of which the first 38 are settled; two String items \"a\" and \"é\" "
                    + "with ids 10 and 11",
                batch, { try readsBatch($0, as: header) }
            ),
            (
                "batch-version-2",
                "the same batch with version 2's 24-byte header (no output placement), which workers still accept",
                version2, { try readsBatch($0, as: expectedVersion2) }
            ),
            (
                "copies-frame", "ids 10 and 11 are copies not to emit again",
                CopiesFrame.encode([10, 11]),
                { bytes in try bytes.withUnsafeBytes { try CopiesFrame.ids(of: $0) } == [10, 11] }
            ),
        ]
            + (try control.map { name, description, message in
                (
                    name, description, try encoder.encode(message),
                    { bytes in
                        try encoder.encode(try decoder.decode(ControlMessage.self, from: bytes)) == bytes
                    }
                )
            })
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func theCodeProducesAndReadsExactlyTheBytesInTheVectorFile() throws {
        let samples = try Self.samples()
        if ProcessInfo.processInfo.environment["MPETL_WRITE_VECTORS"] == "1" {
            let vectors = samples.map { Vector(name: $0.0, description: $0.1, hex: Self.hex($0.2)) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(vectors).write(to: Self.file)
        }
        let vectors = try JSONDecoder().decode([Vector].self, from: Data(contentsOf: Self.file))
        #expect(vectors.map(\.name) == samples.map(\.0))
        for (vector, sample) in zip(vectors, samples) {
            #expect(vector.hex == Self.hex(sample.2), "\(vector.name): the encoder's bytes differ from the file")
            let bytes = stride(from: 0, to: vector.hex.count, by: 2).map { offset -> UInt8 in
                let start = vector.hex.index(vector.hex.startIndex, offsetBy: offset)
                return UInt8(vector.hex[start..<vector.hex.index(start, offsetBy: 2)], radix: 16) ?? 0
            }
            #expect(try sample.3(bytes), "\(vector.name): decoding the file's bytes does not give the sample back")
        }
    }
}
