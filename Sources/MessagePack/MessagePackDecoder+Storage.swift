/// The state shared by one decoding: the buffer, the coding path, and the scanned maps.
///
/// The arrays are emptied, not freed, between values, so a reused decoder allocates nothing for
/// them in the steady state. Entries and regions form a stack: those of a nested value are
/// dropped when its `init(from:)` returns.
///
/// Kept behind an `UnsafeMutablePointer` by the decoder, like `MessagePackEncodingStorage` and
/// for the same reason (no dynamic exclusivity checks); its methods never call user code.
struct MessagePackDecodingStorage {
    /// One key/value pair of a scanned map.
    struct Entry {
        /// The key's UTF-8 bytes are `buffer[keyStart ..< keyStart + keyLength]`; a keyLength of
        /// -1 marks an integer key, `intKey`.
        var keyStart: Int
        var keyLength: Int
        var intKey: Int
        var valueOffset: Int
    }

    /// The map behind one keyed container.
    struct Region {
        /// Identifies the container, so that a stale one is refused rather than misread.
        var serial: Int
        var start: Int
        var end: Int
        /// Where the next key lookup starts (relative to the container's first entry).
        var hint: Int
    }

    var buffer = UnsafeRawBufferPointer(start: nil, count: 0)
    var path = CodingPathStack()
    var depth = 0
    var entries: [Entry] = []
    var regions: [Region] = []
    var serial = 0
    var userInfo: [CodingUserInfoKey: Any] = [:]

    mutating func reset(buffer: UnsafeRawBufferPointer, userInfo: [CodingUserInfoKey: Any]) {
        self.buffer = buffer
        self.userInfo = userInfo
        path.removeAll()
        depth = 0
        entries.removeAll(keepingCapacity: true)
        regions.removeAll(keepingCapacity: true)
    }

    mutating func truncate(regions regionCount: Int, entries entryCount: Int) {
        if regions.count > regionCount { regions.removeLast(regions.count - regionCount) }
        if entries.count > entryCount { entries.removeLast(entries.count - entryCount) }
    }

    /// The end of the value at `offset` if the first map scanned since `firstRegion` was it.
    func end(ofValueAt offset: Int, firstRegion: Int) -> Int? {
        guard regions.count > firstRegion, regions[firstRegion].start == offset else { return nil }
        return regions[firstRegion].end
    }

    func reader(at offset: Int) -> MessagePackReader {
        var reader = MessagePackReader(buffer)
        reader.offset = offset
        return reader
    }

    // MARK: Containers

    /// Scans the map at `offset`: records every key and where its value starts, and checks that
    /// the values are well-formed.
    mutating func makeKeyedContainer<Key: CodingKey>(
        _ keyType: Key.Type, decoder: MessagePackValueDecoder, at offset: Int, path: CodingPathRef
    ) throws(MessagePackError) -> MessagePackKeyedDecodingContainer<Key> {
        var reader = reader(at: offset)
        let base = entries.count
        let count: Int
        do {
            count = try reader.readMapHeader()
            entries.reserveCapacity(base + count)
            let depthBudget = MessagePackLimits.maxDepth - depth
            for _ in 0..<count {
                var entry = try readKey(&reader)
                entry.valueOffset = reader.offset
                try reader.skipValue(depthBudget: depthBudget)
                entries.append(entry)
            }
        } catch {
            truncate(regions: regions.count, entries: base)
            throw error.addingCodingPath(self.path.strings(path, nil as MessagePackIndexKey?))
        }
        serial += 1
        let region = regions.count
        regions.append(Region(serial: serial, start: offset, end: reader.offset, hint: 0))
        return MessagePackKeyedDecodingContainer(
            decoder: decoder, region: region, serial: serial, base: base, count: count, path: path)
    }

    private func readKey(_ reader: inout MessagePackReader) throws(MessagePackError) -> Entry {
        let start = reader.offset
        guard let byte = reader.nextFormatByte else { throw reader.truncated(at: start, needing: 1) }
        switch byte {
        case 0xa0...0xbf, 0xd9, 0xda, 0xdb:
            let bytes = try reader.readStringBytes()
            guard Self.isValidUTF8(bytes) else {
                throw MessagePackError(
                    .invalidUTF8, at: start,
                    "expected a UTF-8 map key, found \(bytes.count) bytes that are not valid UTF-8")
            }
            return Entry(keyStart: reader.offset - bytes.count, keyLength: bytes.count, intKey: 0, valueOffset: 0)
        case 0x00...0x7f, 0xcc...0xd3, 0xe0...0xff:
            do {
                return Entry(keyStart: start, keyLength: -1, intKey: try reader.readInteger(Int.self), valueOffset: 0)
            } catch  where error.code == .integerOverflow {
                throw MessagePackError(
                    .unsupportedKey, at: start, "expected a string or Int map key, found an integer beyond Int's range")
            }
        default:
            if byte == 0xc1 { throw reader.mismatch("a map key", at: start) }
            throw MessagePackError(
                .unsupportedKey, at: start,
                "expected a string or integer map key, found \(MessagePackFormat.name(of: byte))")
        }
    }

    private static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where byte >= 0x80 {
            return String(validating: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self) != nil
        }
        return true
    }

    /// Reads the array header at `offset`.
    func makeUnkeyedContainer(
        decoder: MessagePackValueDecoder, at offset: Int, path: CodingPathRef
    ) throws(MessagePackError) -> MessagePackUnkeyedDecodingContainer {
        var reader = reader(at: offset)
        let count: Int
        do {
            count = try reader.readArrayHeader()
        } catch {
            throw error.addingCodingPath(self.path.strings(path, nil as MessagePackIndexKey?))
        }
        return MessagePackUnkeyedDecodingContainer(
            decoder: decoder, path: path, elementCount: count, offset: reader.offset)
    }

    // MARK: Key lookup

    /// Finds the key `name` (or `intValue`, for integer keys) among the container's entries and
    /// returns the entry's index, or nil.
    /// Starts at the region's hint and leaves the hint just past a match.
    mutating func find(
        name: String, intValue: Int?, region: Int, serial: Int, base: Int, count: Int
    ) throws(MessagePackError) -> Int? {
        guard region < regions.count, regions[region].serial == serial else {
            throw MessagePackError(
                .invalidCoderUsage, at: 0,
                "a keyed container was used after the init(from:) that created it had returned")
        }
        guard count > 0 else { return nil }
        var name = name
        let start = regions[region].hint
        let found: Int? = name.withUTF8 { name in
            var index = start
            for _ in 0..<count {
                let entry = entries[base + index]
                if entry.keyLength >= 0 {
                    if entry.keyLength == name.count, bytesEqual(name, at: entry.keyStart) { return index }
                } else if entry.intKey == intValue {
                    return index
                }
                index += 1
                if index == count { index = 0 }
            }
            return nil
        }
        guard let found else { return nil }
        regions[region].hint = found + 1 == count ? 0 : found + 1
        return base + found
    }

    private func bytesEqual(_ name: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        var index = 0
        while index < name.count {
            if name[index] != buffer[start + index] { return false }
            index += 1
        }
        return true
    }

    /// The key of entry `index`, as `Key`, if `Key` has such a key.
    func key<Key: CodingKey>(at index: Int, as keyType: Key.Type) -> Key? {
        let entry = entries[index]
        guard entry.keyLength >= 0 else { return Key(intValue: entry.intKey) }
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[entry.keyStart..<entry.keyStart + entry.keyLength])
        return Key(stringValue: String(decoding: bytes, as: UTF8.self))  // validated by readKey
    }
}
