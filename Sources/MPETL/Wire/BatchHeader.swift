/// The fixed 40-byte prefix of every data message: which pipeline and stage it is for, who
/// sent it, its place in that sender's stream, and how many items follow.
///
/// Layout (little-endian): magic `0x4D`, version, stage (u16), pipeline (u32), producer (u32),
/// item count (u32), sequence (u64), first output (u64), settled (u64). Items follow as
/// concatenated MessagePack values, then one 8-byte item id per item (u64 each), which lets the
/// results collector drop the duplicates a replay produces. The sequence numbers a producer's
/// batches on one connection, from 1: a consumer acknowledges them cumulatively, and the
/// producer replays what was not.
///
/// The last two fields place the batch in everything its producer emitted, which is what a
/// consumer needs to name the copies a replay would bring if the producer died (see
/// ``UnsettledItems``): `firstOutput` is how many items the producer had emitted to this stage
/// before the batch's first, and `settled` how many of its first emitted items came from inputs
/// it has reported done, so no replay can bring them again (``untracked`` when the producer does not
/// emit in input order, or is not a worker).
struct BatchHeader: Equatable, Sendable {
    static let size = 40
    static let magic: UInt8 = 0x4D
    static let version: UInt8 = 3
    /// `settled` of a producer whose emitted items are not tracked.
    static let untracked: UInt64 = .max
    /// Bytes of the id that follows the items, per item.
    static let idSize = 8
    /// The producer number the driver uses when it feeds stage 0.
    static let driverProducer: UInt32 = .max

    /// Where each field starts: the only place that knows the layout.
    private enum Offset {
        static let magic = 0
        static let version = 1
        static let stage = 2
        static let pipeline = 4
        static let producer = 8
        static let itemCount = 12
        static let sequence = 16
        static let firstOutput = 24
        static let settled = 32
    }

    var pipeline: UInt32
    var stage: UInt16
    var producer: UInt32
    var sequence: UInt64
    var itemCount: UInt32
    var firstOutput: UInt64 = 0
    var settled: UInt64 = BatchHeader.untracked
    /// Bytes before the items: ``size``, or 24 for a version 2 batch.
    var length = BatchHeader.size
    static let sizeOfVersion2 = 24

    /// Writes the header over the first ``size`` bytes of `bytes`.
    func write(into bytes: inout [UInt8]) {
        precondition(bytes.count >= Self.size)
        bytes.withUnsafeMutableBytes { raw in
            raw[Offset.magic] = Self.magic
            raw[Offset.version] = Self.version
            raw.storeBytes(of: stage.littleEndian, toByteOffset: Offset.stage, as: UInt16.self)
            raw.storeBytes(of: pipeline.littleEndian, toByteOffset: Offset.pipeline, as: UInt32.self)
            raw.storeBytes(of: producer.littleEndian, toByteOffset: Offset.producer, as: UInt32.self)
            raw.storeBytes(of: itemCount.littleEndian, toByteOffset: Offset.itemCount, as: UInt32.self)
            raw.storeBytes(of: sequence.littleEndian, toByteOffset: Offset.sequence, as: UInt64.self)
            raw.storeBytes(of: firstOutput.littleEndian, toByteOffset: Offset.firstOutput, as: UInt64.self)
            raw.storeBytes(of: settled.littleEndian, toByteOffset: Offset.settled, as: UInt64.self)
        }
    }

    /// Parses a header, refusing anything that is not one. Version 2's 24-byte header, which
    /// external senders may still write, reads as untracked.
    /// - Throws: ``WireError`` when the message is shorter than a header, has the wrong magic
    ///   or version, or claims more items than it has bytes (every item takes at least one,
    ///   plus its id).
    init(parsing message: UnsafeRawBufferPointer) throws(WireError) {
        guard message.count >= Self.sizeOfVersion2 else {
            throw WireError(
                code: .truncated, offset: message.count,
                description: "a batch needs a \(Self.size)-byte header; got \(message.count) bytes")
        }
        guard message[Offset.magic] == Self.magic,
            message[Offset.version] == Self.version || message[Offset.version] == 2
        else {
            throw WireError(
                code: .invalidFormatByte, offset: Offset.magic,
                description:
                    "not an MPETL batch: magic/version bytes are \(message[Offset.magic]), \(message[Offset.version]); "
                    + "expected \(Self.magic), \(Self.version)"
            )
        }
        length = message[Offset.version] == 2 ? Self.sizeOfVersion2 : Self.size
        guard message.count >= length else {
            throw WireError(
                code: .truncated, offset: message.count,
                description: "a batch needs a \(Self.size)-byte header; got \(message.count) bytes")
        }
        stage = UInt16(littleEndian: message.loadUnaligned(fromByteOffset: Offset.stage, as: UInt16.self))
        pipeline = UInt32(littleEndian: message.loadUnaligned(fromByteOffset: Offset.pipeline, as: UInt32.self))
        producer = UInt32(littleEndian: message.loadUnaligned(fromByteOffset: Offset.producer, as: UInt32.self))
        itemCount = UInt32(littleEndian: message.loadUnaligned(fromByteOffset: Offset.itemCount, as: UInt32.self))
        sequence = UInt64(littleEndian: message.loadUnaligned(fromByteOffset: Offset.sequence, as: UInt64.self))
        if length == Self.size {
            firstOutput = UInt64(
                littleEndian: message.loadUnaligned(fromByteOffset: Offset.firstOutput, as: UInt64.self))
            settled = UInt64(littleEndian: message.loadUnaligned(fromByteOffset: Offset.settled, as: UInt64.self))
        }
        guard Int(itemCount) * (1 + Self.idSize) <= message.count - length else {
            throw WireError(
                code: .truncated, offset: length,
                description:
                    "batch claims \(itemCount) items but carries only \(message.count - length) bytes of items and "
                    + "ids"
            )
        }
    }

    /// The items of a parsed batch `message`, without the header and the ids.
    func items(of message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: message[length..<(message.count - Int(itemCount) * Self.idSize)])
    }

    /// The item ids of a parsed batch `message`: ``idSize`` bytes each, little-endian.
    func ids(of message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: message[(message.count - Int(itemCount) * Self.idSize)...])
    }

    /// Rewrites the sequence number of an encoded batch: a transport numbers the batches of
    /// each connection itself.
    @inline(__always)
    static func stamp(sequence: UInt64, into batch: inout [UInt8]) {
        batch.withUnsafeMutableBytes {
            $0.storeBytes(of: sequence.littleEndian, toByteOffset: Offset.sequence, as: UInt64.self)
        }
    }

    /// The item count of an encoded batch this process wrote (no checks).
    @inline(__always)
    static func itemCount(of batch: UnsafeRawBufferPointer) -> Int {
        Int(UInt32(littleEndian: batch.loadUnaligned(fromByteOffset: Offset.itemCount, as: UInt32.self)))
    }

    /// Id number `index` of the buffer ``ids(of:)`` returns.
    @inline(__always)
    static func id(_ index: Int, in ids: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(littleEndian: ids.loadUnaligned(fromByteOffset: index * idSize, as: UInt64.self))
    }

    init(pipeline: UInt32, stage: UInt16, producer: UInt32, sequence: UInt64, itemCount: UInt32) {
        self.pipeline = pipeline
        self.stage = stage
        self.producer = producer
        self.sequence = sequence
        self.itemCount = itemCount
    }
}
