import Foundation

/// Decodes `Decodable` values from MessagePack bytes, such as those ``MessagePackEncoder`` writes.
///
/// Malformed input never traps: truncation, impossible lengths, unknown format bytes, invalid
/// UTF-8, overflowing integers and nesting deeper than 512 levels all throw ``MessagePackError``.
/// Integers decode into any integer type they fit and into `Double`/`Float`; map keys the type
/// does not know are ignored. `docs/protocol.md` gives the whole layout.
///
/// ```swift
/// struct Point: Codable { var x: Int; var y: Int }
/// let point = try MessagePackDecoder().decode(Point.self, from: [0x82, 0xa1, 0x78, 0x01, 0xa1, 0x79, 0x02])
/// // Point(x: 1, y: 2)
/// ```
public struct MessagePackDecoder: Sendable {
    /// Values that `init(from:)` implementations can read through `decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// Creates a decoder.
    public init() {}

    /// Decodes one value that fills `bytes` exactly.
    ///
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - bytes: The MessagePack encoding of one value.
    /// - Returns: The decoded value.
    /// - Throws: ``MessagePackError`` if the bytes are malformed, do not match `type`, hold more than
    ///   one value (``MessagePackError/Code/trailingBytes``), or `type`'s own `init(from:)` refuses
    ///   them (an unknown enum case, say: ``MessagePackError/Code/typeMismatch``).
    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { try decode(T.self, from: $0) }
    }

    /// Decodes one value that fills `data` exactly.
    ///
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - data: The MessagePack encoding of one value.
    /// - Returns: The decoded value.
    /// - Throws: As the `[UInt8]` variant.
    public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try data.withUnsafeBytes { try decode(T.self, from: $0) }
    }

    /// Decodes one value that fills `buffer` exactly.
    package func decode<T: Decodable>(_ type: T.Type, from buffer: UnsafeRawBufferPointer) throws -> T {
        var reader = MessagePackReader(buffer)
        let value: T
        if let primitive = try reader.readPrimitive(T.self) {
            value = primitive
        } else {
            value = try reader.decodeComposite(T.self, userInfo: userInfo)
        }
        guard reader.isAtEnd else {
            throw MessagePackError(
                .trailingBytes, at: reader.offset,
                "expected the input to end after one \(T.self), found \(buffer.count - reader.offset) more bytes")
        }
        return value
    }
}

/// The `Decoder` behind ``MessagePackDecoder`` and `MessagePackReader.decode(_:)`.
///
/// Reads in place from a buffer it does not own. A keyed container scans its map once when
/// created, recording where each key and value is (in ``MessagePackDecodingStorage/entries``),
/// and then finds keys by comparing bytes, starting where the previous lookup ended, so that
/// properties decoded in the order they were written cost one comparison each.
///
/// One instance (the main decoder) serves every nested value in turn, saving and restoring
/// ``valueOffset``; `superDecoder()` creates further instances that share the storage and keep
/// the main decoder alive, so `isKnownUniquelyReferenced` on the main decoder proves that the
/// storage is unshared before `MessagePackReader` reuses it.
final class MessagePackValueDecoder: Decoder {
    /// The shared state, owned (allocated and freed) by the main decoder.
    let storage: UnsafeMutablePointer<MessagePackDecodingStorage>
    /// Where the value being decoded starts. Behind a pointer, like `storage`, to avoid
    /// dynamic exclusivity checks.
    private let valueOffset: UnsafeMutablePointer<Int>
    /// For super decoders: the main decoder, which keeps `storage` allocated.
    private let main: MessagePackValueDecoder?
    /// For super decoders: their complete coding path; nil for the main decoder.
    private let fixedPath: [any CodingKey]?

    init() {
        storage = .allocate(capacity: 1)
        storage.initialize(to: MessagePackDecodingStorage())
        valueOffset = .allocate(capacity: 1)
        valueOffset.initialize(to: 0)
        main = nil
        fixedPath = nil
    }

    private init(superOf main: MessagePackValueDecoder, offset: Int, path: [any CodingKey]) {
        storage = main.storage
        valueOffset = .allocate(capacity: 1)
        valueOffset.initialize(to: offset)
        self.main = main.main ?? main
        fixedPath = path
    }

    deinit {
        valueOffset.deallocate()
        if main == nil {
            storage.deinitialize(count: 1)
            storage.deallocate()
        }
    }

    // MARK: Decoder

    var codingPath: [any CodingKey] { fixedPath ?? storage.pointee.path.keys }

    var userInfo: [CodingUserInfoKey: Any] { storage.pointee.userInfo }

    private var currentPath: CodingPathRef {
        if let fixedPath { return CodingPathRef(depth: 0, extra: fixedPath) }
        return CodingPathRef(depth: storage.pointee.path.count, extra: [])
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let path = currentPath
        return KeyedDecodingContainer(
            try storage.pointee.makeKeyedContainer(
                Key.self, decoder: self, at: valueOffset.pointee, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try storage.pointee.makeUnkeyedContainer(decoder: self, at: valueOffset.pointee, path: currentPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        MessagePackSingleValueDecodingContainer(decoder: self, offset: valueOffset.pointee, path: currentPath)
    }

    // MARK: Values

    /// Decodes the value at `offset` in `buffer` and returns it with the offset just past it.
    func decodeRoot<T: Decodable>(
        _ type: T.Type, buffer: UnsafeRawBufferPointer, at offset: Int, userInfo: [CodingUserInfoKey: Any]
    ) throws -> (T, Int) {
        storage.pointee.reset(buffer: buffer, userInfo: userInfo)
        defer { storage.pointee.reset(buffer: UnsafeRawBufferPointer(start: nil, count: 0), userInfo: [:]) }
        valueOffset.pointee = offset
        let value: T
        do {
            value = try T(from: self)
        } catch let error as MessagePackError {
            throw error
        } catch {
            // A type's own init(from:) refused the values (an unknown enum case, a missing
            // key): to callers, still bytes that are not a T.
            throw MessagePackError(.typeMismatch, at: offset, "the bytes do not form a \(T.self): \(error)")
        }
        if let end = storage.pointee.end(ofValueAt: offset, firstRegion: 0) { return (value, end) }
        var reader = MessagePackReader(buffer)
        reader.offset = offset
        try reader.skipValue()
        return (value, reader.offset)
    }

    /// Decodes the value at `offset` through its `init(from:)`; `key` (nil for a single-value
    /// container) extends `path`. Also returns where the value ends if that became known.
    func decodeComposite<T: Decodable, K: CodingKey>(
        _ type: T.Type, at offset: Int, key: K?, path: CodingPathRef
    ) throws -> (T, end: Int?) {
        let storage = self.storage
        guard storage.pointee.depth < MessagePackLimits.maxDepth else {
            throw MessagePackError(
                .depthLimitExceeded, at: offset,
                "expected at most \(MessagePackLimits.maxDepth) levels of nested values, "
                    + "found more while decoding \(T.self)",
                codingPath: storage.pointee.path.strings(path, key))
        }
        let savedOffset = valueOffset.pointee
        let savedPath = storage.pointee.path.enter(path, key)
        let savedRegions = storage.pointee.regions.count
        let savedEntries = storage.pointee.entries.count
        storage.pointee.depth += 1
        valueOffset.pointee = offset
        defer {
            valueOffset.pointee = savedOffset
            storage.pointee.depth -= 1
            storage.pointee.path.leave(savedPath)
            storage.pointee.truncate(regions: savedRegions, entries: savedEntries)
        }
        let value = try T(from: self)
        return (value, storage.pointee.end(ofValueAt: offset, firstRegion: savedRegions))
    }

    /// A decoder for the value at `offset`.
    func makeSuperDecoder(at offset: Int, path: CodingPathRef, key: some CodingKey) -> any Decoder {
        var fullPath = storage.pointee.path.codingPath(path)
        fullPath.append(key)
        return MessagePackValueDecoder(superOf: self, offset: offset, path: fullPath)
    }
}
