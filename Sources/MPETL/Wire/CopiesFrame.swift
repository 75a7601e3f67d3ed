/// A data message that is not a batch: the ids of items a consumer must not emit again.
///
/// When a worker is lost, its producers replay its unfinished input batches to its siblings,
/// which emit again what the lost worker had already emitted. The next stage ran some of those
/// items (the *originals*) and reported their ids; the producer sends them on each connection
/// before anything else it sends there from then on, so a sibling has them before the replayed
/// batches they concern, and leaves those copies out (``BatchSender/suppress(_:)``).
///
/// Layout (little-endian): magic `0x43` (`C`), version 1, two zero bytes, count (u32), then
/// `count` item ids (u64 each).
enum CopiesFrame {
    static let magic: UInt8 = 0x43
    static let version: UInt8 = 1
    static let headerSize = 8

    static func encode(_ ids: ArraySlice<UInt64>) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: headerSize)
        bytes[0] = magic
        bytes[1] = version
        bytes.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt32(ids.count).littleEndian, toByteOffset: 4, as: UInt32.self)
        }
        bytes.reserveCapacity(headerSize + ids.count * 8)
        for id in ids { withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    /// Whether `message` claims to be a copies frame (its first byte).
    @inline(__always)
    static func isCopies(_ message: UnsafeRawBufferPointer) -> Bool {
        message.first == magic
    }

    /// The ids of a copies frame.
    /// - Throws: ``WireError`` when the version is not 1 or the length does not match the count.
    static func ids(of message: UnsafeRawBufferPointer) throws(WireError) -> [UInt64] {
        guard message.count >= headerSize, message[1] == version else {
            throw WireError(
                code: .invalidFormatByte, offset: 1,
                description:
                    "not an MPETL copies frame: \(message.count) bytes, version \(message.count > 1 ? message[1] : 0)")
        }
        let count = Int(UInt32(littleEndian: message.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        guard message.count == headerSize + count * 8 else {
            throw WireError(
                code: .truncated, offset: headerSize,
                description: "copies frame claims \(count) ids but carries \(message.count - headerSize) bytes")
        }
        return (0..<count).map {
            UInt64(littleEndian: message.loadUnaligned(fromByteOffset: headerSize + $0 * 8, as: UInt64.self))
        }
    }
}
