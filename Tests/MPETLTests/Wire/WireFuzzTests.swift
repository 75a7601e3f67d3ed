import Foundation
import MessagePack
import Testing

@testable import MPETL

/// Property-based fuzzing of everything a peer can make a process decode: control messages,
/// batch headers and batches of items. Thousands of random and mutated inputs, bounded in
/// time; each must decode or throw the codec's `MessagePackError` (a batch header, MPETL's
/// `WireError`), never crash or hang.
@Suite("Wire fuzzing")
struct WireFuzzTests {
    /// Valid encodings to mutate, so inputs get past the first byte.
    static func corpus() throws -> [[UInt8]] {
        let encoder = MessagePackEncoder()
        let address = WorkerAddress(pipeline: "h:1:0", stage: 1, worker: 2)
        var counters = WorkerCounters(batchesIn: 9, itemsIn: 900, batchesOut: 8, itemsOut: 800)
        counters.sends = [0x8000_0001: 4]
        let messages: [ControlMessage] = [
            .hello(
                address, pid: 42, host: "host", fingerprint: "fp",
                inputEndpoints: ["ipc:///tmp/x", "tcp://10.0.0.1:5"]),
            .progress(address, counters),
            .workerFinished(address, counters),
            .stageFailed(
                address,
                FailureReport(pipeline: "p", stage: 1, stageLabel: "task 1", pid: 4, host: "h", item: "7", reason: "r"),
                counters),
            .register(
                PipelineRegistration(
                    id: "h:1:0", ordinal: 0, name: "n",
                    stages: [StageSummary(label: "task 1 (Int -> Int)", processes: 2, chunkSize: 10)],
                    fingerprint: "fp", executable: "/bin/x", arguments: ["x"], runDirectory: "/tmp",
                    collectorEndpoints: ["ipc:///tmp/r"], host: "h",
                    input: StageInput(typeName: "Int", chunkSize: 10, highWaterMark: 0))),
            .resolved(
                SendRoute(
                    name: "n", pipeline: "p", ordinal: 1, producer: 0x8000_0000, endpoints: ["ipc:///tmp/s"],
                    input: StageInput(typeName: "String", chunkSize: 1, highWaterMark: 5))),
            .skipped(address, [SkippedItem(stage: "task 1", item: "3", error: "e", pid: 1, host: "h")]),
            .feedComplete(pipeline: "p", batches: 3, items: 300),
            .workerExited(address, .signaled(9)),
            .workerExited(address, .signaled(11), holding: HeldItem(id: 42, item: "7")),
            .suspects([SuspectItem(id: 42, quarantine: "q")]),
            .status([PipelineStats(pipeline: "p", stages: [])]),
        ]
        var corpus = try messages.map { try encoder.encode($0) }
        var batch = [UInt8](repeating: 0, count: BatchHeader.size)
        let items = try encoder.encode("item one") + encoder.encode("item two")
        BatchHeader(pipeline: 0, stage: 1, producer: 3, sequence: 17, itemCount: 2).write(into: &batch)
        corpus.append(batch + items + [UInt8](repeating: 7, count: 2 * BatchHeader.idSize))
        return corpus
    }

    static func mutate(_ input: [UInt8], with corpus: [[UInt8]], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty:  // flip a bit
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 1 where !bytes.isEmpty:  // an interesting byte: format markers and edges
                let interesting: [UInt8] = [
                    0x00, 0x7F, 0x80, 0x90, 0xA0, 0xC0, 0xC1, 0xC2, 0xCF, 0xD3, 0xDB, 0xDD, 0xDF, 0xFF,
                ]
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = interesting.randomElement(using: &random)!
            case 2:  // insert random bytes
                let at = Int.random(in: 0...bytes.count, using: &random)
                bytes.insert(
                    contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in
                        UInt8.random(in: 0...255, using: &random)
                    }, at: at)
            case 3 where !bytes.isEmpty:  // delete a range
                let from = Int.random(in: 0..<bytes.count, using: &random)
                bytes.removeSubrange(from..<min(bytes.count, from + Int.random(in: 1...8, using: &random)))
            case 4 where !bytes.isEmpty:  // truncate
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &random))
            case 5:  // splice with another input
                let other = corpus.randomElement(using: &random)!
                bytes =
                    Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
                    + other.suffix(Int.random(in: 0...other.count, using: &random))
            default:  // duplicate a range
                guard !bytes.isEmpty else { continue }
                let from = Int.random(in: 0..<bytes.count, using: &random)
                bytes.insert(contentsOf: bytes[from..<min(bytes.count, from + 16)], at: from)
            }
        }
        return bytes
    }

    @Test func mutatedAndRandomInputsDecodeOrThrowWireErrors() throws {
        let corpus = try Self.corpus()
        var random = SplitMix64(state: 0xF0_22)
        let decoder = MessagePackDecoder()
        let deadline = ContinuousClock.now + .seconds(3)
        var inputs = 0
        var decoded = 0
        while inputs < 60_000, ContinuousClock.now < deadline {
            inputs += 1
            let bytes =
                inputs % 5 == 0
                ? (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                : Self.mutate(corpus.randomElement(using: &random)!, with: corpus, &random)
            do {
                _ = try decoder.decode(ControlMessage.self, from: bytes)
                decoded += 1
            } catch is MessagePackError {
            } catch {
                Issue.record("a non-wire error escaped: \(error) for \(bytes)")
            }
            bytes.withUnsafeBytes { raw in
                guard let header = try? BatchHeader(parsing: raw) else { return }
                var reader = MessagePackReader(header.items(of: raw))
                for index in 0..<Int(header.itemCount) {
                    _ = BatchHeader.id(index, in: header.ids(of: raw))
                    do { _ = try reader.decode(String.self) } catch { break }
                }
            }
        }
        #expect(inputs >= 5_000, "only \(inputs) inputs ran in the time allowed")
        #expect(decoded > 0, "some mutations still decode: the fuzzer reaches past the first byte")
    }
}
