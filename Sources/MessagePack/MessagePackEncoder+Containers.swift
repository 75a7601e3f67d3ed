/// Writes a map: each `encode(_:forKey:)` adds one key/value pair to the container's node.
///
/// Keys are the CodingKey's `stringValue`, except in a `[Int: V]` dictionary, whose keys are
/// written as integers.
struct MessagePackKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: MessagePackValueEncoder
    let node: Int
    let path: CodingPathRef
    /// The static type of the value this container encodes, if known.
    let valueType: Any.Type?
    /// Decided the first time a key has an `intValue`.
    private var integerKeys: Bool?

    init(encoder: MessagePackValueEncoder, node: Int, path: CodingPathRef, valueType: Any.Type?) {
        self.encoder = encoder
        self.node = node
        self.path = path
        self.valueType = valueType
    }

    var codingPath: [any CodingKey] { encoder.storage.pointee.path.codingPath(path) }

    /// Writes `key` and counts the pair whose value the caller writes next.
    @inline(__always)
    private mutating func writeKey(_ key: Key) -> UnsafeMutablePointer<MessagePackEncodingStorage> {
        let storage = encoder.storage
        storage.pointee.begin(node)
        if let int = key.intValue, usesIntegerKeys() {
            storage.pointee.content.write(Int64(int))
        } else {
            storage.pointee.content.write(key.stringValue)
        }
        storage.pointee.nodes[node].count += 1
        return storage
    }

    private mutating func usesIntegerKeys() -> Bool {
        if let integerKeys { return integerKeys }
        let decided = valueType.map { $0 is any MessagePackIntegerKeyedDictionary.Type } ?? false
        integerKeys = decided
        return decided
    }

    mutating func encodeNil(forKey key: Key) throws { writeKey(key).pointee.content.writeNil() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { writeKey(key).pointee.content.write(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { writeKey(key).pointee.content.write(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { writeKey(key).pointee.content.write(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { writeKey(key).pointee.content.write(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { writeKey(key).pointee.content.write(Int64(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { writeKey(key).pointee.content.write(Int64(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { writeKey(key).pointee.content.write(Int64(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { writeKey(key).pointee.content.write(Int64(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { writeKey(key).pointee.content.write(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { writeKey(key).pointee.content.write(UInt64(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { writeKey(key).pointee.content.write(UInt64(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { writeKey(key).pointee.content.write(UInt64(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { writeKey(key).pointee.content.write(UInt64(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { writeKey(key).pointee.content.write(value) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        _ = writeKey(key)
        try encoder.encodeValue(value, into: node, key: key, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let storage = writeKey(key)
        let nestedPath = path.appending(key)
        let child = storage.pointee.makeChild(of: node, kind: .map, path: nestedPath)
        return KeyedEncodingContainer(
            MessagePackKeyedEncodingContainer<NestedKey>(
                encoder: encoder, node: child, path: nestedPath, valueType: nil))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let storage = writeKey(key)
        let nestedPath = path.appending(key)
        let child = storage.pointee.makeChild(of: node, kind: .array, path: nestedPath)
        return MessagePackUnkeyedEncodingContainer(encoder: encoder, node: child, path: nestedPath)
    }

    mutating func superEncoder() -> any Encoder {
        let storage = encoder.storage
        storage.pointee.begin(node)
        storage.pointee.content.write(MessagePackCodingKey.superKey.stringValue)
        storage.pointee.nodes[node].count += 1
        return encoder.makeSuperEncoder(in: node, path: path, key: MessagePackCodingKey.superKey)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        _ = writeKey(key)
        return encoder.makeSuperEncoder(in: node, path: path, key: key)
    }
}

/// Writes an array: each `encode` adds one element to the container's node.
struct MessagePackUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: MessagePackValueEncoder
    let node: Int
    let path: CodingPathRef

    var codingPath: [any CodingKey] { encoder.storage.pointee.path.codingPath(path) }

    var count: Int { encoder.storage.pointee.nodes[node].count }

    /// Counts the element the caller writes next and returns its index.
    @inline(__always)
    private func nextElement() -> (UnsafeMutablePointer<MessagePackEncodingStorage>, Int) {
        let storage = encoder.storage
        storage.pointee.begin(node)
        let index = storage.pointee.nodes[node].count
        storage.pointee.nodes[node].count = index + 1
        return (storage, index)
    }

    mutating func encodeNil() throws { nextElement().0.pointee.content.writeNil() }
    mutating func encode(_ value: Bool) throws { nextElement().0.pointee.content.write(value) }
    mutating func encode(_ value: String) throws { nextElement().0.pointee.content.write(value) }
    mutating func encode(_ value: Double) throws { nextElement().0.pointee.content.write(value) }
    mutating func encode(_ value: Float) throws { nextElement().0.pointee.content.write(value) }
    mutating func encode(_ value: Int) throws { nextElement().0.pointee.content.write(Int64(value)) }
    mutating func encode(_ value: Int8) throws { nextElement().0.pointee.content.write(Int64(value)) }
    mutating func encode(_ value: Int16) throws { nextElement().0.pointee.content.write(Int64(value)) }
    mutating func encode(_ value: Int32) throws { nextElement().0.pointee.content.write(Int64(value)) }
    mutating func encode(_ value: Int64) throws { nextElement().0.pointee.content.write(value) }
    mutating func encode(_ value: UInt) throws { nextElement().0.pointee.content.write(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { nextElement().0.pointee.content.write(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { nextElement().0.pointee.content.write(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { nextElement().0.pointee.content.write(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { nextElement().0.pointee.content.write(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = nextElement().1
        try encoder.encodeValue(value, into: node, key: MessagePackIndexKey(index), path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type
    ) -> KeyedEncodingContainer<NestedKey> {
        let (storage, index) = nextElement()
        let nestedPath = path.appending(MessagePackIndexKey(index))
        let child = storage.pointee.makeChild(of: node, kind: .map, path: nestedPath)
        return KeyedEncodingContainer(
            MessagePackKeyedEncodingContainer<NestedKey>(
                encoder: encoder, node: child, path: nestedPath, valueType: nil))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (storage, index) = nextElement()
        let nestedPath = path.appending(MessagePackIndexKey(index))
        let child = storage.pointee.makeChild(of: node, kind: .array, path: nestedPath)
        return MessagePackUnkeyedEncodingContainer(encoder: encoder, node: child, path: nestedPath)
    }

    mutating func superEncoder() -> any Encoder {
        let index = nextElement().1
        return encoder.makeSuperEncoder(in: node, path: path, key: MessagePackIndexKey(index))
    }
}

/// Writes the one value of the encoder's current slot.
struct MessagePackSingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: MessagePackValueEncoder
    /// The slot this container belongs to; the encoder's slot changes as values nest.
    let serial: Int
    let path: CodingPathRef

    var codingPath: [any CodingKey] { encoder.storage.pointee.path.codingPath(path) }

    /// Marks the slot written and returns the node the value goes into.
    private func claim() throws -> Int {
        let slot = encoder.slot
        guard slot.pointee.serial == serial else {
            throw misuse("a single-value container was used after the encode(to:) that created it had returned")
        }
        guard !slot.pointee.filled else {
            throw misuse(
                "encode(to:) wrote a second value for one Codable value (through a single-value container, "
                    + "or after asking for a keyed or unkeyed container)")
        }
        slot.pointee.filled = true
        let parent = slot.pointee.parent
        encoder.storage.pointee.begin(parent)
        return parent
    }

    private func misuse(_ detail: String) -> MessagePackError {
        MessagePackError(.invalidCoderUsage, at: 0, detail, codingPath: codingPath.map(\.stringValue))
    }

    mutating func encodeNil() throws {
        _ = try claim()
        encoder.storage.pointee.content.writeNil()
    }

    mutating func encode(_ value: Bool) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(value)
    }

    mutating func encode(_ value: String) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(value)
    }

    mutating func encode(_ value: Double) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(value)
    }

    mutating func encode(_ value: Float) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(value)
    }

    mutating func encode(_ value: Int) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(Int64(value))
    }

    mutating func encode(_ value: Int8) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(Int64(value))
    }

    mutating func encode(_ value: Int16) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(Int64(value))
    }

    mutating func encode(_ value: Int32) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(Int64(value))
    }

    mutating func encode(_ value: Int64) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(value)
    }

    mutating func encode(_ value: UInt) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(UInt64(value))
    }

    mutating func encode(_ value: UInt8) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(UInt64(value))
    }

    mutating func encode(_ value: UInt16) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(UInt64(value))
    }

    mutating func encode(_ value: UInt32) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(UInt64(value))
    }

    mutating func encode(_ value: UInt64) throws {
        _ = try claim()
        encoder.storage.pointee.content.write(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let parent = try claim()
        try encoder.encodeValue(value, into: parent, key: nil as MessagePackIndexKey?, path: path)
    }
}
