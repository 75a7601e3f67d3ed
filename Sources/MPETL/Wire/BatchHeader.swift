/// The fixed 24-byte prefix of every data message: which pipeline and stage it is for, who
/// sent it, its place in that sender's stream, and how many items follow.
///
/// Layout (little-endian): magic `0x4D`, version, stage (u16), pipeline (u32), producer (u32),
/// item count (u32), sequence (u64). Items follow as concatenated MessagePack values, then one
/// 8-byte item id per item (u64 each), which lets the results collector drop the duplicates a
/// replay produces. The sequence numbers a producer's batches on one connection, from 1: a
/// consumer acknowledges them cumulatively, and the producer replays what was not.
struct BatchHeader: Equatable, Sendable {
    static let size = 24
    static let magic: UInt8 = 0x4D
    static let version: UInt8 = 2
    /// Bytes of the id that follows the items, per item.
    static let idSize = 8
    /// The producer number the driver uses when it feeds stage 0.
    static let driverProducer: UInt32 = .max

    var pipeline: UInt32
    var stage: UInt16
    var producer: UInt32
    var sequence: UInt64
    var itemCount: UInt32

    /// Writes the header over the first ``size`` bytes of `bytes`.
    func write(into bytes: inout [UInt8]) {
        precondition(bytes.count >= Self.size)
        bytes.withUnsafeMutableBytes { raw in
            raw[0] = Self.magic
            raw[1] = Self.version
            raw.storeBytes(of: stage.littleEndian, toByteOffset: 2, as: UInt16.self)
            raw.storeBytes(of: pipeline.littleEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: producer.littleEndian, toByteOffset: 8, as: UInt32.self)
            raw.storeBytes(of: itemCount.littleEndian, toByteOffset: 12, as: UInt32.self)
            raw.storeBytes(of: sequence.littleEndian, toByteOffset: 16, as: UInt64.self)
        }
    }

    /// Parses a header, refusing anything that is not one.
    /// - Throws: ``WireError`` when the message is shorter than a header, has the wrong magic
    ///   or version, or claims more items than it has bytes (every item takes at least one,
    ///   plus its id).
    init(parsing message: UnsafeRawBufferPointer) throws(WireError) {
        guard message.count >= Self.size else {
            throw WireError(code: .truncated, offset: message.count,
                            description: "a batch needs a \(Self.size)-byte header; got \(message.count) bytes")
        }
        guard message[0] == Self.magic, message[1] == Self.version else {
            throw WireError(code: .invalidFormatByte, offset: 0,
                            description: "not an MPETL batch: magic/version bytes are \(message[0]), \(message[1]); expected \(Self.magic), \(Self.version)")
        }
        stage = UInt16(littleEndian: message.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        pipeline = UInt32(littleEndian: message.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        producer = UInt32(littleEndian: message.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        itemCount = UInt32(littleEndian: message.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        sequence = UInt64(littleEndian: message.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        guard Int(itemCount) * (1 + Self.idSize) <= message.count - Self.size else {
            throw WireError(code: .truncated, offset: Self.size,
                            description: "batch claims \(itemCount) items but carries only \(message.count - Self.size) bytes of items and ids")
        }
    }

    /// The items of a parsed batch `message`, without the header and the ids.
    func items(of message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: message[Self.size..<(message.count - Int(itemCount) * Self.idSize)])
    }

    /// The item ids of a parsed batch `message`: ``idSize`` bytes each, little-endian.
    func ids(of message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: message[(message.count - Int(itemCount) * Self.idSize)...])
    }

    /// Rewrites the sequence number of an encoded batch: a transport numbers the batches of
    /// each connection itself.
    @inline(__always)
    static func stamp(sequence: UInt64, into batch: inout [UInt8]) {
        batch.withUnsafeMutableBytes { $0.storeBytes(of: sequence.littleEndian, toByteOffset: 16, as: UInt64.self) }
    }

    /// The item count of an encoded batch this process wrote (no checks).
    @inline(__always)
    static func itemCount(of batch: UnsafeRawBufferPointer) -> Int {
        Int(UInt32(littleEndian: batch.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
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
