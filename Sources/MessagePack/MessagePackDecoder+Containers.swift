/// Reads a map scanned by `MessagePackDecodingStorage.makeKeyedContainer`.
///
/// String keys match a CodingKey's `stringValue`, integer keys its `intValue`.
struct MessagePackKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: MessagePackValueDecoder
    let region: Int
    let serial: Int
    /// The container's entries are `storage.pointee.entries[base ..< base + count]`.
    let base: Int
    let count: Int
    let path: CodingPathRef

    var codingPath: [any CodingKey] { decoder.storage.pointee.path.codingPath(path) }

    var allKeys: [Key] {
        let storage = decoder.storage
        guard region < storage.pointee.regions.count, storage.pointee.regions[region].serial == serial else {
            return []
        }
        var keys: [Key] = []
        keys.reserveCapacity(count)
        for index in base..<base + count {
            if let key = storage.pointee.key(at: index, as: Key.self) { keys.append(key) }
        }
        return keys
    }

    func contains(_ key: Key) -> Bool {
        let name = key.stringValue
        let int = key.intValue
        let index = try? decoder.storage.pointee.find(
            name: name, intValue: int, region: region, serial: serial, base: base, count: count)
        return index != nil
    }

    /// Where the value for `key` starts, or nil if the map lacks the key.
    private func valueOffsetIfPresent(_ key: Key) throws -> Int? {
        let storage = decoder.storage
        do {
            guard
                let index = try storage.pointee.find(
                    name: key.stringValue, intValue: key.intValue, region: region, serial: serial, base: base,
                    count: count)
            else { return nil }
            return storage.pointee.entries[index].valueOffset
        } catch {
            throw error.addingCodingPath(storage.pointee.path.strings(path, key))
        }
    }

    private func valueOffset(_ key: Key) throws -> Int {
        guard let offset = try valueOffsetIfPresent(key) else {
            let storage = decoder.storage
            let start = region < storage.pointee.regions.count ? storage.pointee.regions[region].start : 0
            throw MessagePackError(
                .keyNotFound, at: start, "expected the map to have the key \"\(key.stringValue)\", found no such key",
                codingPath: storage.pointee.path.strings(path, key))
        }
        return offset
    }

    /// Runs `body` on a reader at the value for `key`, adding the coding path to its errors.
    @inline(__always)
    private func read<T>(_ key: Key, _ body: (inout MessagePackReader) throws -> T) throws -> T {
        var reader = decoder.storage.pointee.reader(at: try valueOffset(key))
        do {
            return try body(&reader)
        } catch let error as MessagePackError {
            throw error.addingCodingPath(decoder.storage.pointee.path.strings(path, key))
        }
    }

    /// As `read`, but nil if the key is missing or its value is nil.
    @inline(__always)
    private func readIfPresent<T>(_ key: Key, _ body: (inout MessagePackReader) throws -> T) throws -> T? {
        guard let offset = try valueOffsetIfPresent(key) else { return nil }
        var reader = decoder.storage.pointee.reader(at: offset)
        if reader.readNilIfPresent() { return nil }
        do {
            return try body(&reader)
        } catch let error as MessagePackError {
            throw error.addingCodingPath(decoder.storage.pointee.path.strings(path, key))
        }
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        var reader = decoder.storage.pointee.reader(at: try valueOffset(key))
        return reader.readNilIfPresent()
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try read(key) { try $0.readBool() }
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try read(key) { try $0.readString() }
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try read(key) { try $0.readDouble() }
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try read(key) { try $0.readFloat() }
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try read(key) { try $0.readInteger(Int.self) }
    }

    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 {
        try read(key) { try $0.readInteger(Int8.self) }
    }

    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 {
        try read(key) { try $0.readInteger(Int16.self) }
    }

    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 {
        try read(key) { try $0.readInteger(Int32.self) }
    }

    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 {
        try read(key) { try $0.readInteger(Int64.self) }
    }

    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt {
        try read(key) { try $0.readInteger(UInt.self) }
    }

    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 {
        try read(key) { try $0.readInteger(UInt8.self) }
    }

    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 {
        try read(key) { try $0.readInteger(UInt16.self) }
    }

    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 {
        try read(key) { try $0.readInteger(UInt32.self) }
    }

    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 {
        try read(key) { try $0.readInteger(UInt64.self) }
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let offset = try valueOffset(key)
        var reader = decoder.storage.pointee.reader(at: offset)
        do {
            if let value = try reader.readPrimitive(T.self) { return value }
        } catch {
            throw error.addingCodingPath(decoder.storage.pointee.path.strings(path, key))
        }
        return try decoder.decodeComposite(T.self, at: offset, key: key, path: path).0
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        try readIfPresent(key) { try $0.readBool() }
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        try readIfPresent(key) { try $0.readString() }
    }

    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? {
        try readIfPresent(key) { try $0.readDouble() }
    }

    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? {
        try readIfPresent(key) { try $0.readFloat() }
    }

    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        try readIfPresent(key) { try $0.readInteger(Int.self) }
    }

    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? {
        try readIfPresent(key) { try $0.readInteger(Int8.self) }
    }

    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? {
        try readIfPresent(key) { try $0.readInteger(Int16.self) }
    }

    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? {
        try readIfPresent(key) { try $0.readInteger(Int32.self) }
    }

    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? {
        try readIfPresent(key) { try $0.readInteger(Int64.self) }
    }

    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? {
        try readIfPresent(key) { try $0.readInteger(UInt.self) }
    }

    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? {
        try readIfPresent(key) { try $0.readInteger(UInt8.self) }
    }

    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? {
        try readIfPresent(key) { try $0.readInteger(UInt16.self) }
    }

    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? {
        try readIfPresent(key) { try $0.readInteger(UInt32.self) }
    }

    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? {
        try readIfPresent(key) { try $0.readInteger(UInt64.self) }
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let offset = try valueOffsetIfPresent(key) else { return nil }
        var reader = decoder.storage.pointee.reader(at: offset)
        if reader.readNilIfPresent() { return nil }
        do {
            if let value = try reader.readPrimitive(T.self) { return value }
        } catch {
            throw error.addingCodingPath(decoder.storage.pointee.path.strings(path, key))
        }
        return try decoder.decodeComposite(T.self, at: offset, key: key, path: path).0
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        let offset = try valueOffset(key)
        return KeyedDecodingContainer(
            try decoder.storage.pointee.makeKeyedContainer(
                NestedKey.self, decoder: decoder, at: offset, path: path.appending(key)))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let offset = try valueOffset(key)
        return try decoder.storage.pointee.makeUnkeyedContainer(decoder: decoder, at: offset, path: path.appending(key))
    }

    func superDecoder() throws -> any Decoder {
        let superKey = MessagePackCodingKey.superKey
        let storage = decoder.storage
        let index: Int?
        do {
            index = try storage.pointee.find(
                name: superKey.stringValue, intValue: nil, region: region, serial: serial, base: base, count: count)
        } catch {
            throw error.addingCodingPath(storage.pointee.path.strings(path, superKey))
        }
        guard let index else {
            throw MessagePackError(
                .keyNotFound, at: storage.pointee.regions[region].start,
                "expected the map to have the key \"super\", found no such key",
                codingPath: storage.pointee.path.strings(path, superKey))
        }
        return decoder.makeSuperDecoder(at: storage.pointee.entries[index].valueOffset, path: path, key: superKey)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        decoder.makeSuperDecoder(at: try valueOffset(key), path: path, key: key)
    }
}

/// Reads an array element by element.
struct MessagePackUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: MessagePackValueDecoder
    let path: CodingPathRef
    let elementCount: Int
    private(set) var currentIndex = 0
    /// Where the next element starts.
    private var offset: Int

    init(decoder: MessagePackValueDecoder, path: CodingPathRef, elementCount: Int, offset: Int) {
        self.decoder = decoder
        self.path = path
        self.elementCount = elementCount
        self.offset = offset
    }

    var codingPath: [any CodingKey] { decoder.storage.pointee.path.codingPath(path) }

    var count: Int? { elementCount }

    var isAtEnd: Bool { currentIndex >= elementCount }

    private func pathStrings() -> [String] {
        decoder.storage.pointee.path.strings(path, MessagePackIndexKey(currentIndex))
    }

    private func checkNotAtEnd() throws {
        guard isAtEnd else { return }
        throw MessagePackError(
            .endOfContainer, at: offset,
            "expected an element at index \(currentIndex), found the end of an array of \(elementCount)",
            codingPath: pathStrings())
    }

    /// Runs `body` on a reader at the next element and moves past it.
    @inline(__always)
    private mutating func read<T>(_ body: (inout MessagePackReader) throws -> T) throws -> T {
        try checkNotAtEnd()
        var reader = decoder.storage.pointee.reader(at: offset)
        do {
            let value = try body(&reader)
            offset = reader.offset
            currentIndex += 1
            return value
        } catch let error as MessagePackError {
            throw error.addingCodingPath(pathStrings())
        }
    }

    /// Moves past the next element without decoding it.
    private mutating func skipElement() throws {
        _ = try read { try $0.skipValue() }
    }

    mutating func decodeNil() throws -> Bool {
        try checkNotAtEnd()
        var reader = decoder.storage.pointee.reader(at: offset)
        guard reader.readNilIfPresent() else { return false }
        offset = reader.offset
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try read { try $0.readBool() } }
    mutating func decode(_ type: String.Type) throws -> String { try read { try $0.readString() } }
    mutating func decode(_ type: Double.Type) throws -> Double { try read { try $0.readDouble() } }
    mutating func decode(_ type: Float.Type) throws -> Float { try read { try $0.readFloat() } }
    mutating func decode(_ type: Int.Type) throws -> Int { try read { try $0.readInteger(Int.self) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try read { try $0.readInteger(Int8.self) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try read { try $0.readInteger(Int16.self) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try read { try $0.readInteger(Int32.self) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try read { try $0.readInteger(Int64.self) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try read { try $0.readInteger(UInt.self) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try read { try $0.readInteger(UInt8.self) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try read { try $0.readInteger(UInt16.self) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try read { try $0.readInteger(UInt32.self) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try read { try $0.readInteger(UInt64.self) } }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try checkNotAtEnd()
        var reader = decoder.storage.pointee.reader(at: offset)
        do {
            if let value = try reader.readPrimitive(T.self) {
                offset = reader.offset
                currentIndex += 1
                return value
            }
        } catch {
            throw error.addingCodingPath(pathStrings())
        }
        let (value, end) = try decoder.decodeComposite(
            T.self, at: offset, key: MessagePackIndexKey(currentIndex), path: path)
        if let end {
            offset = end
            currentIndex += 1
        } else {
            try skipElement()
        }
        return value
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try checkNotAtEnd()
        let container = try decoder.storage.pointee.makeKeyedContainer(
            NestedKey.self, decoder: decoder, at: offset, path: path.appending(MessagePackIndexKey(currentIndex)))
        offset = decoder.storage.pointee.regions[container.region].end
        currentIndex += 1
        return KeyedDecodingContainer(container)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try checkNotAtEnd()
        let container = try decoder.storage.pointee.makeUnkeyedContainer(
            decoder: decoder, at: offset, path: path.appending(MessagePackIndexKey(currentIndex)))
        try skipElement()
        return container
    }

    mutating func superDecoder() throws -> any Decoder {
        try checkNotAtEnd()
        let superDecoder = decoder.makeSuperDecoder(at: offset, path: path, key: MessagePackIndexKey(currentIndex))
        try skipElement()
        return superDecoder
    }
}

/// Reads the one value at a fixed offset; may read it more than once.
struct MessagePackSingleValueDecodingContainer: SingleValueDecodingContainer {
    let decoder: MessagePackValueDecoder
    let offset: Int
    let path: CodingPathRef

    var codingPath: [any CodingKey] { decoder.storage.pointee.path.codingPath(path) }

    @inline(__always)
    private func read<T>(_ body: (inout MessagePackReader) throws -> T) throws -> T {
        var reader = decoder.storage.pointee.reader(at: offset)
        do {
            return try body(&reader)
        } catch let error as MessagePackError {
            throw error.addingCodingPath(decoder.storage.pointee.path.strings(path, nil as MessagePackIndexKey?))
        }
    }

    func decodeNil() -> Bool {
        decoder.storage.pointee.reader(at: offset).nextFormatByte == 0xc0
    }

    func decode(_ type: Bool.Type) throws -> Bool { try read { try $0.readBool() } }
    func decode(_ type: String.Type) throws -> String { try read { try $0.readString() } }
    func decode(_ type: Double.Type) throws -> Double { try read { try $0.readDouble() } }
    func decode(_ type: Float.Type) throws -> Float { try read { try $0.readFloat() } }
    func decode(_ type: Int.Type) throws -> Int { try read { try $0.readInteger(Int.self) } }
    func decode(_ type: Int8.Type) throws -> Int8 { try read { try $0.readInteger(Int8.self) } }
    func decode(_ type: Int16.Type) throws -> Int16 { try read { try $0.readInteger(Int16.self) } }
    func decode(_ type: Int32.Type) throws -> Int32 { try read { try $0.readInteger(Int32.self) } }
    func decode(_ type: Int64.Type) throws -> Int64 { try read { try $0.readInteger(Int64.self) } }
    func decode(_ type: UInt.Type) throws -> UInt { try read { try $0.readInteger(UInt.self) } }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try read { try $0.readInteger(UInt8.self) } }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try read { try $0.readInteger(UInt16.self) } }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try read { try $0.readInteger(UInt32.self) } }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try read { try $0.readInteger(UInt64.self) } }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if let value = try read({ try $0.readPrimitive(T.self) }) { return value }
        return try decoder.decodeComposite(T.self, at: offset, key: nil as MessagePackIndexKey?, path: path).0
    }
}
