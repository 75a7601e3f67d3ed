import MessagePack
import Testing

@testable import MPETL

/// The driver's collector: acknowledges on receipt, and once a worker was lost, keeps one
/// copy of each result.
@Suite("Result receipts")
struct ResultReceiptsTests {
    static func batch(producer: UInt32, sequence: UInt64, values: [Int], ids: [UInt64]) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: BatchHeader.size)
        BatchHeader(pipeline: 0, stage: 2, producer: producer, sequence: sequence, itemCount: UInt32(values.count))
            .write(into: &bytes)
        for value in values { bytes += try MessagePackEncoder().encode(value) }
        for id in ids { withUnsafeBytes(of: id.littleEndian) { bytes += $0 } }
        return bytes
    }

    static func receive(_ receipts: inout ResultReceipts, _ bytes: [UInt8]) throws -> ResultReceipts.Outcome {
        try bytes.withUnsafeBytes { raw in receipts.receive(try BatchHeader(parsing: raw), raw) }
    }

    static func values(_ outcome: ResultReceipts.Outcome) throws -> [Int]? {
        guard case .accepted(let kept) = outcome else { return nil }
        guard let kept else { return [] }
        return try kept.withUnsafeBytes { raw in
            let header = try BatchHeader(parsing: raw)
            var reader = MessagePackReader(header.items(of: raw))
            return try (0..<Int(header.itemCount)).map { _ in try reader.decode(Int.self) }
        }
    }

    @Test func copiesAreKeptUntilAWorkerIsLostThenDropped() throws {
        var receipts = ResultReceipts()
        let first = try Self.receive(&receipts, Self.batch(producer: 0, sequence: 1, values: [10, 11], ids: [1, 2]))
        #expect(try Self.values(first) == [10, 11])
        let before = try Self.receive(&receipts, Self.batch(producer: 1, sequence: 1, values: [10], ids: [1]))
        #expect(try Self.values(before) == [10], "no worker was lost: nothing can be a copy")
        receipts.dropsDuplicates = true
        let mixed = try Self.receive(
            &receipts, Self.batch(producer: 0, sequence: 2, values: [11, 12, 13], ids: [2, 3, 4]))
        #expect(try Self.values(mixed) == [12, 13], "the copy of id 2 goes, the rest stays in order")
        let copies = try Self.receive(&receipts, Self.batch(producer: 1, sequence: 2, values: [12, 13], ids: [3, 4]))
        #expect(try Self.values(copies) == [])
        #expect(receipts.takeReport(now: .now) == [0: 2, 1: 2], "every batch is acknowledged, copies too")
    }

    @Test func aRepeatedBatchIsMalformedAndAMissingOneIsLoss() throws {
        var receipts = ResultReceipts()
        _ = try Self.receive(&receipts, Self.batch(producer: 0, sequence: 1, values: [1], ids: [1]))
        guard case .malformed = try Self.receive(&receipts, Self.batch(producer: 0, sequence: 1, values: [1], ids: [1]))
        else {
            Issue.record("a repeated sequence number must be refused")
            return
        }
        guard
            case .lostBatches(let reason) = try Self.receive(
                &receipts, Self.batch(producer: 0, sequence: 3, values: [1], ids: [9]))
        else {
            Issue.record("a skipped sequence number means lost results")
            return
        }
        #expect(reason.contains("batches 2…2"))
    }
}
