import Foundation

/// Reads MessagePack values from memory it does not own, advancing ``offset`` past each one.
///
/// The decoding hot path of the data plane. Every read checks its bounds and throws
/// ``MessagePackError`` on malformed input; nothing traps. A reader decodes several concatenated
/// values from one buffer, and keeps the scratch storage that ``decode(_:)`` needs for
/// composite values between calls. It must not outlive the memory `buffer` points to.
///
/// ```swift
/// try batch.withUnsafeBytes { raw in
///     var reader = MessagePackReader(raw)
///     while !reader.isAtEnd { print(try reader.decode(Record.self)) }
/// }
/// ```
package struct MessagePackReader {
    /// The bytes being read.
    package let buffer: UnsafeRawBufferPointer
    /// Where the next value starts. May be set to jump to another value.
    package var offset: Int
    /// The `Decoder` used for composite values, kept between calls.
    private var decoderCache: MessagePackValueDecoder?

    /// Creates a reader at the start of `buffer`.
    package init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
        self.offset = 0
    }

    /// Whether every byte has been read.
    package var isAtEnd: Bool { offset >= buffer.count }

    /// The format byte of the next value, or nil at the end of the buffer.
    package var nextFormatByte: UInt8? {
        offset >= 0 && offset < buffer.count ? buffer[offset] : nil
    }

    // MARK: Codable

    /// Decodes one value of type `T` and moves past it.
    ///
    /// Strings, integers, floating-point numbers, `Bool`, `Data` and `[UInt8]` are read directly;
    /// other types go through a `Decoder`. Integers decode into any integer type they fit, and
    /// into `Double`/`Float`; float32 decodes into `Double`.
    ///
    /// - Throws: ``MessagePackError`` for malformed or mismatched input (``offset`` is then unchanged);
    ///   errors thrown by `T`'s own `init(from:)` pass through unchanged.
    package mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        // The commonest item types first, returned without an Optional<T>: in unspecialised
        // generic code that wrapper costs a metadata look-up per item.
        if T.self == String.self { return unsafeBitCast(try readString(), to: T.self) }
        if T.self == Int.self { return unsafeBitCast(try readInteger(Int.self), to: T.self) }
        if let value = try readPrimitive(T.self) { return value }
        return try decodeComposite(T.self, userInfo: [:])
    }

    /// Decodes a value that needs a `Decoder`, with `userInfo` visible to its `init(from:)`.
    package mutating func decodeComposite<T: Decodable>(
        _ type: T.Type, userInfo: [CodingUserInfoKey: Any]
    ) throws -> T {
        let decoder = takeDecoder()
        defer { decoderCache = decoder }
        let (value, end) = try decoder.decodeRoot(T.self, buffer: buffer, at: offset, userInfo: userInfo)
        offset = end
        return value
    }

    private mutating func takeDecoder() -> MessagePackValueDecoder {
        if var cached = decoderCache {
            decoderCache = nil
            if isKnownUniquelyReferenced(&cached) { return cached }
        }
        return MessagePackValueDecoder()
    }

    /// Reads `T` if it is one of the types with a direct MessagePack form; returns nil without
    /// moving otherwise (also for `Data`/`[UInt8]` stored as an array, left to their `init(from:)`).
    package mutating func readPrimitive<T>(_ type: T.Type) throws(MessagePackError) -> T? {
        if T.self == String.self {
            return unsafeBitCast(try readString(), to: T.self)
        } else if T.self == Int.self {
            return unsafeBitCast(try readInteger(Int.self), to: T.self)
        } else if T.self == Double.self {
            return unsafeBitCast(try readDouble(), to: T.self)
        } else if T.self == Bool.self {
            return unsafeBitCast(try readBool(), to: T.self)
        } else if T.self == Int64.self {
            return unsafeBitCast(try readInteger(Int64.self), to: T.self)
        } else if T.self == Int32.self {
            return unsafeBitCast(try readInteger(Int32.self), to: T.self)
        } else if T.self == Float.self {
            return unsafeBitCast(try readFloat(), to: T.self)
        } else if T.self == UInt64.self {
            return unsafeBitCast(try readInteger(UInt64.self), to: T.self)
        } else if T.self == UInt.self {
            return unsafeBitCast(try readInteger(UInt.self), to: T.self)
        } else if T.self == UInt32.self {
            return unsafeBitCast(try readInteger(UInt32.self), to: T.self)
        } else if T.self == UInt8.self {
            return unsafeBitCast(try readInteger(UInt8.self), to: T.self)
        } else if T.self == Int16.self {
            return unsafeBitCast(try readInteger(Int16.self), to: T.self)
        } else if T.self == Int8.self {
            return unsafeBitCast(try readInteger(Int8.self), to: T.self)
        } else if T.self == UInt16.self {
            return unsafeBitCast(try readInteger(UInt16.self), to: T.self)
        } else if T.self == Data.self {
            guard !nextIsArray else { return nil }
            return unsafeBitCast(Data(try readBinary()), to: T.self)
        } else if T.self == [UInt8].self {
            guard !nextIsArray else { return nil }
            return unsafeBitCast([UInt8](try readBinary()), to: T.self)
        }
        return nil
    }

    private var nextIsArray: Bool {
        guard let byte = nextFormatByte else { return false }
        return byte & 0xf0 == 0x90 || byte == 0xdc || byte == 0xdd
    }

    // MARK: Scalars

    /// Reads nil.
    /// - Throws: ``MessagePackError`` if the next value is not nil.
    package mutating func readNil() throws(MessagePackError) {
        let start = offset
        guard try formatByte() == 0xc0 else { throw mismatch("nil", at: start) }
        offset = start + 1
    }

    /// Moves past the next value and returns true if it is nil; returns false otherwise.
    package mutating func readNilIfPresent() -> Bool {
        guard nextFormatByte == 0xc0 else { return false }
        offset += 1
        return true
    }

    /// Reads a Bool.
    package mutating func readBool() throws(MessagePackError) -> Bool {
        let start = offset
        switch try formatByte() {
        case 0xc2:
            offset = start + 1
            return false
        case 0xc3:
            offset = start + 1
            return true
        default: throw mismatch("a Bool", at: start)
        }
    }

    /// Reads an integer of any MessagePack integer format into `I`.
    /// - Throws: ``MessagePackError/Code/integerOverflow`` if the value does not fit `I`,
    ///   ``MessagePackError/Code/typeMismatch`` if the value is not an integer.
    package mutating func readInteger<I: FixedWidthInteger>(_ type: I.Type) throws(MessagePackError) -> I {
        let start = offset
        let (bits, negative) = try readRawInteger(expecting: I.self)
        let result = negative ? I(exactly: Int64(bitPattern: bits)) : I(exactly: bits)
        guard let result else {
            offset = start
            let found = negative ? String(Int64(bitPattern: bits)) : String(bits)
            throw MessagePackError(
                .integerOverflow, at: start, "expected an integer that fits \(I.self), found \(found)")
        }
        return result
    }

    /// Reads an integer as Int64. Same as `readInteger(Int64.self)`.
    package mutating func readInt64() throws(MessagePackError) -> Int64 { try readInteger(Int64.self) }

    /// Reads an integer as UInt64. Same as `readInteger(UInt64.self)`.
    package mutating func readUInt64() throws(MessagePackError) -> UInt64 { try readInteger(UInt64.self) }

    /// Reads an integer: its 64 bits, and whether they are a negative Int64 (else a UInt64).
    private mutating func readRawInteger<I>(expecting: I.Type) throws(MessagePackError) -> (UInt64, Bool) {
        let start = offset
        let byte = try formatByte()
        if byte <= 0x7f {
            offset = start + 1
            return (UInt64(byte), false)
        }
        if byte >= 0xe0 {
            offset = start + 1
            return (UInt64(bitPattern: Int64(Int8(bitPattern: byte))), true)
        }
        let signed: Int64
        switch byte {
        case 0xcc: return (UInt64(try load(UInt8.self, after: start)), false)
        case 0xcd: return (UInt64(try load(UInt16.self, after: start)), false)
        case 0xce: return (UInt64(try load(UInt32.self, after: start)), false)
        case 0xcf: return (try load(UInt64.self, after: start), false)
        case 0xd0: signed = Int64(Int8(bitPattern: try load(UInt8.self, after: start)))
        case 0xd1: signed = Int64(Int16(bitPattern: try load(UInt16.self, after: start)))
        case 0xd2: signed = Int64(Int32(bitPattern: try load(UInt32.self, after: start)))
        case 0xd3: signed = Int64(bitPattern: try load(UInt64.self, after: start))
        default: throw mismatch("an integer (for \(I.self))", at: start)
        }
        return (UInt64(bitPattern: signed), signed < 0)
    }

    /// Reads a float64 or float32; also accepts any integer, converted to the nearest Double.
    package mutating func readDouble() throws(MessagePackError) -> Double {
        let start = offset
        switch try formatByte() {
        case 0xcb: return Double(bitPattern: try load(UInt64.self, after: start))
        case 0xca: return Double(Float(bitPattern: try load(UInt32.self, after: start)))
        case 0x00...0x7f, 0xcc...0xd3, 0xe0...0xff:
            let (bits, negative) = try readRawInteger(expecting: Double.self)
            return negative ? Double(Int64(bitPattern: bits)) : Double(bits)
        default: throw mismatch("a number (for Double)", at: start)
        }
    }

    /// Reads a float32, a float64 that is within Float's range (rounded), or any integer
    /// (converted to the nearest Float).
    /// - Throws: ``MessagePackError/Code/numberOutOfRange`` for a finite float64 beyond Float's range.
    package mutating func readFloat() throws(MessagePackError) -> Float {
        let start = offset
        switch try formatByte() {
        case 0xca: return Float(bitPattern: try load(UInt32.self, after: start))
        case 0xcb:
            let value = Double(bitPattern: try load(UInt64.self, after: start))
            guard !value.isFinite || abs(value) <= Double(Float.greatestFiniteMagnitude) else {
                offset = start
                throw MessagePackError(
                    .numberOutOfRange, at: start, "expected a number that fits Float, found the float64 \(value)")
            }
            return Float(value)
        case 0x00...0x7f, 0xcc...0xd3, 0xe0...0xff:
            let (bits, negative) = try readRawInteger(expecting: Float.self)
            return negative ? Float(Int64(bitPattern: bits)) : Float(bits)
        default: throw mismatch("a number (for Float)", at: start)
        }
    }

    /// Reads a string, checking that it is valid UTF-8.
    package mutating func readString() throws(MessagePackError) -> String {
        let start = offset
        let utf8 = try readStringBytes()
        guard !utf8.isEmpty else { return "" }
        let bytes = utf8.assumingMemoryBound(to: UInt8.self)
        // ASCII needs no validation, and this path avoids the generic `String(validating:as:)`,
        // whose metadata look-ups cost more than the copy for short strings.
        if bytes.allSatisfyASCII {
            return String(unsafeUninitializedCapacity: bytes.count) { buffer in
                buffer.baseAddress!.initialize(from: bytes.baseAddress!, count: bytes.count)
                return bytes.count
            }
        }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            offset = start
            throw MessagePackError(
                .invalidUTF8, at: start,
                "expected a UTF-8 string, found \(utf8.count) bytes that are not valid UTF-8")
        }
        return string
    }

    /// Reads a string header and returns its bytes in place, without checking the UTF-8.
    package mutating func readStringBytes() throws(MessagePackError) -> UnsafeRawBufferPointer {
        let start = offset
        let byte = try formatByte()
        let length: Int
        switch byte {
        case 0xa0...0xbf:
            length = Int(byte & 0x1f)
            offset = start + 1
        case 0xd9: length = Int(try load(UInt8.self, after: start))
        case 0xda: length = Int(try load(UInt16.self, after: start))
        case 0xdb: length = Int(try load(UInt32.self, after: start))
        default: throw mismatch("a string", at: start)
        }
        return try take(length, of: "string", from: start)
    }

    /// Reads a bin8/16/32 and returns its bytes in place.
    package mutating func readBinary() throws(MessagePackError) -> UnsafeRawBufferPointer {
        let start = offset
        let length: Int
        switch try formatByte() {
        case 0xc4: length = Int(try load(UInt8.self, after: start))
        case 0xc5: length = Int(try load(UInt16.self, after: start))
        case 0xc6: length = Int(try load(UInt32.self, after: start))
        default: throw mismatch("binary data (bin)", at: start)
        }
        return try take(length, of: "bin", from: start)
    }

    /// Reads an array header and returns the element count, which is checked against the bytes
    /// left (each element takes at least one byte).
    package mutating func readArrayHeader() throws(MessagePackError) -> Int {
        let start = offset
        let byte = try formatByte()
        let count: Int
        switch byte {
        case 0x90...0x9f:
            count = Int(byte & 0x0f)
            offset = start + 1
        case 0xdc: count = Int(try load(UInt16.self, after: start))
        case 0xdd: count = Int(try load(UInt32.self, after: start))
        default: throw mismatch("an array", at: start)
        }
        try checkRoom(count, elementsOf: "array", from: start)
        return count
    }

    /// Reads a map header and returns the number of key/value pairs, which is checked against
    /// the bytes left (each key and each value takes at least one byte).
    package mutating func readMapHeader() throws(MessagePackError) -> Int {
        let start = offset
        let byte = try formatByte()
        let count: Int
        switch byte {
        case 0x80...0x8f:
            count = Int(byte & 0x0f)
            offset = start + 1
        case 0xde: count = Int(try load(UInt16.self, after: start))
        case 0xdf: count = Int(try load(UInt32.self, after: start))
        default: throw mismatch("a map", at: start)
        }
        try checkRoom(count * 2, elementsOf: "map", from: start)
        return count
    }

    // MARK: Skipping

    /// Moves past one complete value, however it is nested.
    /// - Throws: ``MessagePackError`` for malformed input or nesting deeper than 512 levels;
    ///   ``offset`` is then unchanged.
    package mutating func skipValue() throws(MessagePackError) {
        let start = offset
        do {
            try skipValue(depthBudget: MessagePackLimits.maxDepth)
        } catch {
            offset = start
            throw error
        }
    }

    /// Moves past one value whose arrays and maps may nest `depthBudget` levels deep.
    mutating func skipValue(depthBudget: Int) throws(MessagePackError) {
        let start = offset
        let byte = try formatByte()
        switch byte {
        case 0x00...0x7f, 0xc0, 0xc2, 0xc3, 0xe0...0xff:
            offset = start + 1
        case 0xa0...0xbf:
            offset = start + 1
            _ = try take(Int(byte & 0x1f), of: "string", from: start)
        case 0x80...0x8f, 0xde, 0xdf:
            let count = try readMapHeader()
            try skipElements(count * 2, depthBudget: depthBudget, container: start)
        case 0x90...0x9f, 0xdc, 0xdd:
            let count = try readArrayHeader()
            try skipElements(count, depthBudget: depthBudget, container: start)
        case 0xc4, 0xd9: _ = try take(Int(try load(UInt8.self, after: start)), of: "value", from: start)
        case 0xc5, 0xda: _ = try take(Int(try load(UInt16.self, after: start)), of: "value", from: start)
        case 0xc6, 0xdb: _ = try take(Int(try load(UInt32.self, after: start)), of: "value", from: start)
        case 0xc7: _ = try take(1 + Int(try load(UInt8.self, after: start)), of: "ext", from: start)
        case 0xc8: _ = try take(1 + Int(try load(UInt16.self, after: start)), of: "ext", from: start)
        case 0xc9: _ = try take(1 + Int(try load(UInt32.self, after: start)), of: "ext", from: start)
        case 0xcc, 0xd0: try skipFixed(1, from: start)
        case 0xcd, 0xd1: try skipFixed(2, from: start)
        case 0xca, 0xce, 0xd2: try skipFixed(4, from: start)
        case 0xcb, 0xcf, 0xd3: try skipFixed(8, from: start)
        case 0xd4: try skipFixed(2, from: start)
        case 0xd5: try skipFixed(3, from: start)
        case 0xd6: try skipFixed(5, from: start)
        case 0xd7: try skipFixed(9, from: start)
        case 0xd8: try skipFixed(17, from: start)
        default:  // 0xc1
            throw mismatch("a value", at: start)
        }
    }

    private mutating func skipElements(_ count: Int, depthBudget: Int, container start: Int) throws(MessagePackError) {
        guard count > 0 else { return }
        guard depthBudget > 0 else {
            offset = start
            throw MessagePackError(
                .depthLimitExceeded, at: start,
                "expected at most \(MessagePackLimits.maxDepth) levels of nested arrays and maps, found more")
        }
        for _ in 0..<count {
            try skipValue(depthBudget: depthBudget - 1)
        }
    }

    private mutating func skipFixed(_ size: Int, from start: Int) throws(MessagePackError) {
        guard buffer.count - start > size else { throw truncated(at: start, needing: size + 1) }
        offset = start + 1 + size
    }

    // MARK: Bounds-checked primitives

    /// The byte at ``offset``, without moving.
    @inline(__always)
    private func formatByte() throws(MessagePackError) -> UInt8 {
        guard offset >= 0, offset < buffer.count else { throw truncated(at: offset, needing: 1) }
        return buffer[offset]
    }

    /// Loads the big-endian integer that follows the format byte at `start`; moves past both.
    @inline(__always)
    private mutating func load<I: FixedWidthInteger>(_ type: I.Type, after start: Int) throws(MessagePackError) -> I {
        let size = MemoryLayout<I>.size
        guard buffer.count - start > size else { throw truncated(at: start, needing: size + 1) }
        offset = start + 1 + size
        return I(bigEndian: buffer.loadUnaligned(fromByteOffset: start + 1, as: I.self))
    }

    /// Returns the `length` bytes at ``offset`` and moves past them.
    private mutating func take(
        _ length: Int, of what: String, from start: Int
    ) throws(MessagePackError) -> UnsafeRawBufferPointer {
        guard length <= buffer.count - offset else {
            let declared = length
            let left = buffer.count - offset
            offset = start
            throw MessagePackError(
                .truncated, at: start,
                "expected a \(what) of \(declared) bytes as its header declares, found only \(left) bytes left")
        }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + length])
        offset += length
        return bytes
    }

    private mutating func checkRoom(
        _ elements: Int, elementsOf what: String, from start: Int
    ) throws(MessagePackError) {
        guard elements <= buffer.count - offset else {
            let left = buffer.count - offset
            offset = start
            throw MessagePackError(
                .truncated, at: start,
                "expected a \(what) with room for its \(elements) declared elements, found only \(left) bytes left")
        }
    }

    // MARK: Errors

    @inline(never)
    func truncated(at start: Int, needing count: Int) -> MessagePackError {
        let left = max(0, buffer.count - start)
        return MessagePackError(.truncated, at: start, "expected \(count) more bytes, found only \(left)")
    }

    /// The error for a value at `start` that is not `expected`, naming what is there instead.
    @inline(never)
    func mismatch(_ expected: String, at start: Int) -> MessagePackError {
        guard start >= 0, start < buffer.count else { return truncated(at: start, needing: 1) }
        let byte = buffer[start]
        switch byte {
        case 0xc1:
            return MessagePackError(
                .invalidFormatByte, at: start,
                "expected \(expected), found \(MessagePackFormat.name(of: byte)), which MessagePack never uses")
        case 0xc7...0xc9, 0xd4...0xd8:
            var typeOffset = start + 1
            switch byte {
            case 0xc7: typeOffset += 1
            case 0xc8: typeOffset += 2
            case 0xc9: typeOffset += 4
            default: break
            }
            let extType =
                typeOffset < buffer.count
                ? "type \(Int8(bitPattern: buffer[typeOffset]))" : "a truncated type"
            return MessagePackError(
                .unsupportedExtension, at: start,
                "expected \(expected), found \(MessagePackFormat.name(of: byte)) of extension \(extType)")
        default:
            return MessagePackError(
                .typeMismatch, at: start, "expected \(expected), found \(MessagePackFormat.name(of: byte))")
        }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether every byte is below 0x80, checked eight bytes at a time.
    var allSatisfyASCII: Bool {
        guard let base = baseAddress else { return true }
        var index = 0
        var bits: UInt64 = 0
        while index + 8 <= count {
            bits |= UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            index += 8
        }
        while index < count {
            bits |= UInt64(base[index])
            index += 1
        }
        return bits & 0x8080_8080_8080_8080 == 0
    }
}
