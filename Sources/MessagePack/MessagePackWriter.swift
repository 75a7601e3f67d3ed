import Foundation

/// Appends MessagePack values to a growable byte buffer: the encoding hot path of the data plane.
///
/// Every `write` picks the shortest MessagePack form for its value (see `docs/protocol.md`).
/// Reuse one writer across items and batches: ``removeAll()`` keeps the buffer's capacity, and
/// the writer also keeps the scratch storage that ``encode(_:)`` needs for composite values, so a
/// steady stream of items allocates nothing beyond what growing `bytes` needs.
///
/// ```swift
/// var writer = MessagePackWriter(reservingCapacity: 4096)
/// try writer.encode(Point(x: 1, y: 2))   // appends a fixmap
/// writer.write("done")                   // appends a fixstr
/// ```
package struct MessagePackWriter: Sendable {
    /// The encoded bytes. Callers may read and edit them between writes (e.g. to patch a header).
    package var bytes: [UInt8]

    /// The `Encoder` used for composite values, kept between calls. Only reused while no other
    /// writer copy holds it (checked with `isKnownUniquelyReferenced`), so copies of a writer
    /// never share it.
    private var encoderCache: MessagePackValueEncoder?

    /// Creates an empty writer whose buffer can grow to `reservingCapacity` bytes without reallocating.
    package init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its capacity.
    package mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    // MARK: Scalars

    /// Appends nil (`0xc0`).
    package mutating func writeNil() {
        bytes.append(0xc0)
    }

    /// Appends false (`0xc2`) or true (`0xc3`).
    package mutating func write(_ value: Bool) {
        bytes.append(value ? 0xc3 : 0xc2)
    }

    /// Appends an integer in its shortest form; same as `write(Int64(value))`.
    package mutating func write(_ value: Int) {
        write(Int64(value))
    }

    /// Appends an integer in its shortest form: a fixint, or the narrowest of uint8…uint64 for
    /// values ≥ 0 and of int8…int64 for negative values.
    package mutating func write(_ value: Int64) {
        if value >= 0 {
            write(UInt64(truncatingIfNeeded: value))
        } else if value >= -32 {
            bytes.append(UInt8(truncatingIfNeeded: value))
        } else if value >= -0x80 {
            append(0xd0, UInt8(truncatingIfNeeded: value))
        } else if value >= -0x8000 {
            append(0xd1, UInt16(truncatingIfNeeded: value))
        } else if value >= -0x8000_0000 {
            append(0xd2, UInt32(truncatingIfNeeded: value))
        } else {
            append(0xd3, UInt64(truncatingIfNeeded: value))
        }
    }

    /// Appends an unsigned integer in its shortest form: a positive fixint or uint8…uint64.
    package mutating func write(_ value: UInt64) {
        if value <= 0x7f {
            bytes.append(UInt8(truncatingIfNeeded: value))
        } else if value <= 0xff {
            append(0xcc, UInt8(truncatingIfNeeded: value))
        } else if value <= 0xffff {
            append(0xcd, UInt16(truncatingIfNeeded: value))
        } else if value <= 0xffff_ffff {
            append(0xce, UInt32(truncatingIfNeeded: value))
        } else {
            append(0xcf, value)
        }
    }

    /// Appends a float64 (`0xcb`). Doubles are never shortened, so they read back bit for bit.
    package mutating func write(_ value: Double) {
        append(0xcb, value.bitPattern)
    }

    /// Appends a float32 (`0xca`).
    package mutating func write(_ value: Float) {
        append(0xca, value.bitPattern)
    }

    /// Appends a string as fixstr, str8, str16 or str32 followed by its UTF-8 bytes.
    ///
    /// Traps if the string is longer than 4 GiB − 1 bytes, the format's limit.
    package mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeLengthHeader(utf8.count, fix: 0xa0, fixLimit: 31, bits8: 0xd9, bits16: 0xda, bits32: 0xdb)
            bytes.append(contentsOf: utf8)
        }
    }

    /// Appends bytes as bin8, bin16 or bin32. Traps past 4 GiB − 1 bytes.
    package mutating func write(bytes value: UnsafeRawBufferPointer) {
        writeLengthHeader(value.count, fix: 0, fixLimit: -1, bits8: 0xc4, bits16: 0xc5, bits32: 0xc6)
        bytes.append(contentsOf: value)
    }

    /// Appends the header of an array of `count` elements (fixarray, array16 or array32);
    /// the caller then writes exactly `count` values.
    package mutating func writeArrayHeader(count: Int) {
        writeLengthHeader(count, fix: 0x90, fixLimit: 15, bits8: nil, bits16: 0xdc, bits32: 0xdd)
    }

    /// Appends the header of a map of `count` pairs (fixmap, map16 or map32); the caller then
    /// writes `count` keys, each followed by its value.
    package mutating func writeMapHeader(count: Int) {
        writeLengthHeader(count, fix: 0x80, fixLimit: 15, bits8: nil, bits16: 0xde, bits32: 0xdf)
    }

    private mutating func writeLengthHeader(
        _ count: Int, fix: UInt8, fixLimit: Int, bits8: UInt8?, bits16: UInt8, bits32: UInt8
    ) {
        if count <= fixLimit {
            bytes.append(fix | UInt8(truncatingIfNeeded: count))
        } else if let bits8, count <= 0xff {
            append(bits8, UInt8(truncatingIfNeeded: count))
        } else if count <= 0xffff {
            append(bits16, UInt16(truncatingIfNeeded: count))
        } else {
            precondition(count <= 0xffff_ffff, "MessagePack lengths stop at 4 GiB - 1 (got \(count))")
            append(bits32, UInt32(truncatingIfNeeded: count))
        }
    }

    /// Appends a format byte followed by `value` in big-endian order.
    private mutating func append<I: FixedWidthInteger & UnsignedInteger>(_ format: UInt8, _ value: I) {
        bytes.append(format)
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    // MARK: Codable

    /// Appends any `Encodable` value.
    ///
    /// Strings, integers, floating-point numbers, `Bool`, `Data` and `[UInt8]` are written
    /// directly (no `Encoder` involved); other values go through the `Encoder` described in
    /// `docs/protocol.md`. If encoding throws, `bytes` is left as it was.
    ///
    /// - Throws: ``MessagePackError`` for a misuse of the Codable containers or nesting deeper than
    ///   512 levels; any error the value's `encode(to:)` throws, unchanged. (Plain `throws`
    ///   rather than `throws(MessagePackError)` because `encode(to:)` may throw anything.)
    package mutating func encode<T: Encodable>(_ value: T) throws {
        if writePrimitive(value) { return }
        try encodeComposite(value, userInfo: [:])
    }

    /// Writes `value` if its type has a direct MessagePack form and returns true; returns false
    /// without writing anything otherwise.
    package mutating func writePrimitive<T: Encodable>(_ value: T) -> Bool {
        // Type comparisons are metadata-pointer compares; the casts are no-ops once they match.
        if T.self == String.self {
            write(unsafeBitCast(value, to: String.self))
        } else if T.self == Int.self {
            write(Int64(unsafeBitCast(value, to: Int.self)))
        } else if T.self == Double.self {
            write(unsafeBitCast(value, to: Double.self))
        } else if T.self == Bool.self {
            write(unsafeBitCast(value, to: Bool.self))
        } else if T.self == Int64.self {
            write(unsafeBitCast(value, to: Int64.self))
        } else if T.self == Int32.self {
            write(Int64(unsafeBitCast(value, to: Int32.self)))
        } else if T.self == Float.self {
            write(unsafeBitCast(value, to: Float.self))
        } else if T.self == UInt64.self {
            write(unsafeBitCast(value, to: UInt64.self))
        } else if T.self == UInt.self {
            write(UInt64(unsafeBitCast(value, to: UInt.self)))
        } else if T.self == UInt32.self {
            write(UInt64(unsafeBitCast(value, to: UInt32.self)))
        } else if T.self == UInt8.self {
            write(UInt64(unsafeBitCast(value, to: UInt8.self)))
        } else if T.self == Int16.self {
            write(Int64(unsafeBitCast(value, to: Int16.self)))
        } else if T.self == Int8.self {
            write(Int64(unsafeBitCast(value, to: Int8.self)))
        } else if T.self == UInt16.self {
            write(UInt64(unsafeBitCast(value, to: UInt16.self)))
        } else if T.self == Data.self {
            unsafeBitCast(value, to: Data.self).withUnsafeBytes { write(bytes: $0) }
        } else if T.self == [UInt8].self {
            unsafeBitCast(value, to: [UInt8].self).withUnsafeBytes { write(bytes: $0) }
        } else {
            return false
        }
        return true
    }

    /// Encodes a value that needs an `Encoder`, with `userInfo` visible to its `encode(to:)`.
    package mutating func encodeComposite<T: Encodable>(_ value: T, userInfo: [CodingUserInfoKey: Any]) throws {
        let encoder = takeEncoder()
        defer { encoderCache = encoder }
        try encoder.encodeRoot(value, userInfo: userInfo, into: &bytes)
    }

    private mutating func takeEncoder() -> MessagePackValueEncoder {
        if var cached = encoderCache {
            encoderCache = nil
            if isKnownUniquelyReferenced(&cached) { return cached }
        }
        return MessagePackValueEncoder()
    }
}
