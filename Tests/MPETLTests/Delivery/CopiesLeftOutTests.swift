import Testing

@testable import MPETL

/// The pieces that let a lost worker's replay leave out what the next stage already ran: the
/// place of each batch in its producer's output, the consumer's window of unsettled ids, the
/// copies frame, and the sender that leaves the named copies out.
@Suite("Copies left out of a replay")
struct CopiesLeftOutTests {
    /// Keeps every batch sent.
    final class Capture: BatchTransport {
        var batches: [[UInt8]] = []
        func send(_ batch: inout [UInt8], inputs: ClosedRange<Int>) throws { batches.append(batch) }
    }

    static func header(of batch: [UInt8]) throws -> BatchHeader {
        try batch.withUnsafeBytes { try BatchHeader(parsing: $0) }
    }

    static func ids(of batch: [UInt8]) throws -> [UInt64] {
        try batch.withUnsafeBytes { raw in
            let header = try BatchHeader(parsing: raw)
            return (0..<Int(header.itemCount)).map { BatchHeader.id($0, in: header.ids(of: raw)) }
        }
    }

    @Test func eachBatchSaysWhereItsItemsLieInTheProducersOutputAndHowManyAreSettled() throws {
        let capture = Capture()
        let sender = BatchSender(transport: capture, pipeline: 0, stage: 1, producer: 0, chunkSize: 2)
        sender.settledOutputs = 0
        for value in 0..<3 { try sender.append(value) }
        sender.settledOutputs = 2
        try sender.append(3)
        let headers = try capture.batches.map(Self.header(of:))
        #expect(headers.map(\.firstOutput) == [0, 2])
        #expect(headers.map(\.settled) == [0, 2])
    }

    @Test func aSenderLeavesOutEachNamedCopyOnceAndTheOthersKeepTheirIds() throws {
        let plain = Capture()
        let reference = BatchSender(transport: plain, pipeline: 0, stage: 1, producer: 0, chunkSize: 10)
        reference.startItem(id: 42)
        for value in 0..<4 { try reference.append(value) }
        try reference.flush()
        let all = try Self.ids(of: plain.batches[0])

        let capture = Capture()
        let sender = BatchSender(transport: capture, pipeline: 0, stage: 1, producer: 0, chunkSize: 10)
        sender.suppress([all[1], all[3]])
        sender.startItem(id: 42)
        for value in 0..<4 { try sender.append(value) }
        // The same item again (a second replay): nothing is left out twice.
        sender.startItem(id: 42)
        try sender.append(0)
        try sender.append(1)
        try sender.flush()
        #expect(try Self.ids(of: capture.batches[0]) == [all[0], all[2], all[0], all[1]])
        #expect(sender.copiesLeftOut == 2)
        #expect(sender.itemsSent == 4, "copies are not outputs")
    }

    @Test func aConsumerKeepsOnlyWhatItsProducerHasNotSettledAndNamesTheOriginals() {
        var unsettled = UnsettledItems()
        func batch(producer: UInt32, first: UInt64, settled: UInt64, ids: [UInt64]) {
            var header = BatchHeader(
                pipeline: 0, stage: 1, producer: producer, sequence: 1, itemCount: UInt32(ids.count))
            header.firstOutput = first
            header.settled = settled
            ids.withUnsafeBytes { unsettled.record(header, ids: $0) }
        }
        batch(producer: 0, first: 0, settled: 0, ids: [100, 101])
        batch(producer: 0, first: 5, settled: 0, ids: [105, 106, 107])
        batch(producer: 1, first: 0, settled: BatchHeader.untracked, ids: [900])
        #expect(unsettled.count == 5, "an untracked producer keeps nothing")
        // Producer 0 settled its first 6 outputs: the batch below that is forgotten.
        batch(producer: 0, first: 9, settled: 6, ids: [109])
        #expect(unsettled.count == 4)
        // It died with 6 settled: of what is kept, the items from its 7th output on are originals.
        #expect(unsettled.originals(from: 0, emittedFrom: 6) == [106, 107, 109])
        #expect(unsettled.count == 0 && unsettled.originals(from: 0, emittedFrom: 0).isEmpty, "then forgotten")
    }

    @Test func whatAConsumerKeepsIsCappedWhenAnInputMakesFarMoreItems() {
        var unsettled = UnsettledItems()
        // One input of an origin that never settles while it runs: 1,000-item batches.
        let ids = [UInt64](repeating: 7, count: 1000)
        var header = BatchHeader(pipeline: 0, stage: 1, producer: 0, sequence: 1, itemCount: 1000)
        header.settled = 0
        for batch in 0..<(UnsettledItems.maximumIDs / 1000 + 50) {
            header.firstOutput = UInt64(batch * 1000)
            ids.withUnsafeBytes { unsettled.record(header, ids: $0) }
        }
        #expect(unsettled.count <= UnsettledItems.maximumIDs + 1000)
        #expect(unsettled.count >= UnsettledItems.maximumIDs - 1000, "the newest are kept")
    }

    @Test func aCopiesFrameRoundTripsAndAMalformedOneIsRefused() throws {
        let frame = CopiesFrame.encode([1, 2, 3])
        #expect(frame.withUnsafeBytes(CopiesFrame.isCopies))
        #expect(try frame.withUnsafeBytes { try CopiesFrame.ids(of: $0) } == [1, 2, 3])
        #expect(throws: WireError.self) { try Array(frame.dropLast()).withUnsafeBytes { try CopiesFrame.ids(of: $0) } }
        var otherVersion = frame
        otherVersion[1] = 9
        #expect(throws: WireError.self) { try otherVersion.withUnsafeBytes { try CopiesFrame.ids(of: $0) } }
    }
}
