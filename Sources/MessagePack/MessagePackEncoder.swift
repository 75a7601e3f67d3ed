import Foundation

/// Encodes `Encodable` values as compact MessagePack bytes.
///
/// Structs become maps keyed by their property names, arrays become arrays, optionals that
/// are nil are left out of maps, `Data` and `[UInt8]` become bin; `docs/protocol.md` gives the whole
/// layout. Use ``MessagePackDecoder`` to read the bytes back.
///
/// ```swift
/// struct Point: Codable { var x: Int; var y: Int }
/// let bytes = try MessagePackEncoder().encode(Point(x: 1, y: 2))
/// // [0x82, 0xa1, 0x78, 0x01, 0xa1, 0x79, 0x02]  — {"x": 1, "y": 2}
/// ```
///
/// MPETL encodes many values into one buffer, without intermediate arrays, through the
/// package-level `MessagePackWriter`, which this type wraps.
public struct MessagePackEncoder: Sendable {
    /// Values that `encode(to:)` implementations can read through `encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    /// Creates an encoder.
    public init() {}

    /// Encodes one value as MessagePack.
    ///
    /// - Parameter value: The value to encode.
    /// - Returns: The MessagePack encoding of `value`: one value, `count` bytes long.
    /// - Throws: ``MessagePackError`` if `value`'s `encode(to:)` misuses the Codable containers
    ///   (``MessagePackError/Code/invalidCoderUsage``) or nests deeper than 512 levels
    ///   (``MessagePackError/Code/depthLimitExceeded``); errors thrown by `encode(to:)` itself pass
    ///   through unchanged.
    public func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        var writer = MessagePackWriter()
        if userInfo.isEmpty {
            try writer.encode(value)
        } else if !writer.writePrimitive(value) {
            try writer.encodeComposite(value, userInfo: userInfo)
        }
        return writer.bytes
    }
}

/// The `Encoder` behind ``MessagePackEncoder`` and `MessagePackWriter.encode(_:)`.
///
/// Containers may be used in any interleaving Codable allows, so they do not write straight into
/// one stream. Each map or array is a node of a tree kept in flat arrays in
/// ``MessagePackEncodingStorage``; a node's content is a list of chunks, each either a byte range
/// of the shared `content` buffer or a child node. Sequential use — the normal case — appends to
/// one open chunk; the tree is walked once at the end to emit shortest-form headers.
///
/// One instance (the main encoder) serves every nested value in turn, saving and restoring its
/// ``slot``; `superEncoder()` creates further instances that share the storage.
///
/// `@unchecked Sendable` so that `MessagePackWriter` can cache one: a writer reuses a cached
/// encoder only when `isKnownUniquelyReferenced` says no one else holds it. Everything that can
/// reach the storage (super encoders, containers) holds the main encoder, so that check also
/// proves the storage unshared; an encoder is never used by two threads at once.
final class MessagePackValueEncoder: Encoder, @unchecked Sendable {
    /// The value currently being encoded by this encoder: where it goes and what it wrote.
    struct Slot {
        /// The node whose content receives the value.
        var parent: Int
        /// The keyed or unkeyed container node created for the value, or -1.
        var node = -1
        /// Whether a container was requested or a single value written.
        var filled = false
        /// Distinguishes this slot from later ones, to catch stale single-value containers.
        var serial: Int
        /// The static type being encoded, to recognise `[Int: V]` dictionaries.
        var valueType: Any.Type?
    }

    /// The shared state, owned (allocated and freed) by the main encoder. Behind a pointer so
    /// that its accesses need no dynamic exclusivity checks; see ``MessagePackEncodingStorage``.
    let storage: UnsafeMutablePointer<MessagePackEncodingStorage>
    /// This encoder's current slot, behind a pointer for the same reason.
    let slot: UnsafeMutablePointer<Slot>
    /// For super encoders: the main encoder, which keeps `storage` allocated.
    private let main: MessagePackValueEncoder?
    /// For super encoders: their complete coding path; nil for the main encoder.
    private let fixedPath: [any CodingKey]?

    init() {
        storage = .allocate(capacity: 1)
        storage.initialize(to: MessagePackEncodingStorage())
        slot = .allocate(capacity: 1)
        slot.initialize(to: Slot(parent: 0, serial: 0))
        main = nil
        fixedPath = nil
    }

    private init(superOf main: MessagePackValueEncoder, slotNode: Int, path: [any CodingKey]) {
        storage = main.storage
        self.main = main.main ?? main
        fixedPath = path
        storage.pointee.serial += 1
        slot = .allocate(capacity: 1)
        slot.initialize(to: Slot(parent: slotNode, serial: storage.pointee.serial))
    }

    deinit {
        slot.deinitialize(count: 1)
        slot.deallocate()
        if main == nil {
            storage.deinitialize(count: 1)
            storage.deallocate()
        }
    }

    // MARK: Encoder

    var codingPath: [any CodingKey] { fixedPath ?? storage.pointee.path.keys }

    var userInfo: [CodingUserInfoKey: Any] { storage.pointee.userInfo }

    /// The coding path of a container created now.
    private var currentPath: CodingPathRef {
        if let fixedPath { return CodingPathRef(depth: 0, extra: fixedPath) }
        return CodingPathRef(depth: storage.pointee.path.count, extra: [])
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let node = claimContainer(.map)
        return KeyedEncodingContainer(
            MessagePackKeyedEncodingContainer<Key>(
                encoder: self, node: node, path: currentPath, valueType: slot.pointee.valueType))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        MessagePackUnkeyedEncodingContainer(encoder: self, node: claimContainer(.array), path: currentPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        MessagePackSingleValueEncodingContainer(encoder: self, serial: slot.pointee.serial, path: currentPath)
    }

    /// The node for the current value's keyed or unkeyed container, created on first request.
    private func claimContainer(_ kind: MessagePackEncodingStorage.NodeKind) -> Int {
        let current = slot.pointee
        if current.node >= 0, storage.pointee.nodes[current.node].kind == kind { return current.node }
        guard !current.filled else {
            let path = codingPath
            storage.pointee.recordMisuse(
                "encode(to:) asked for a \(kind) container after it had written the value another way", path: path)
            return storage.pointee.makeOrphan(kind)
        }
        let node = storage.pointee.makeChild(of: current.parent, kind: kind, path: currentPath)
        slot.pointee.node = node
        slot.pointee.filled = true
        return node
    }

    // MARK: Values

    /// Encodes the root value and appends its bytes to `out`.
    func encodeRoot<T: Encodable>(_ value: T, userInfo: [CodingUserInfoKey: Any], into out: inout [UInt8]) throws {
        storage.pointee.reset(userInfo: userInfo)
        defer { storage.pointee.userInfo = [:] }
        storage.pointee.serial += 1
        slot.pointee = Slot(parent: 0, serial: storage.pointee.serial, valueType: T.self)
        try value.encode(to: self)
        if !slot.pointee.filled { storage.pointee.writeEmptyValue(into: 0) }
        if let error = storage.pointee.deferredError { throw error }
        storage.pointee.emit(into: &out)
    }

    /// Encodes `value` as the next element of node `parent`. `key` (nil for a single-value
    /// container) extends `path` for the value's own `encode(to:)`.
    @inline(__always)
    func encodeValue<T: Encodable, K: CodingKey>(_ value: T, into parent: Int, key: K?, path: CodingPathRef) throws {
        storage.pointee.begin(parent)
        if storage.pointee.content.writePrimitive(value) { return }
        try encodeComposite(value, into: parent, key: key, path: path)
    }

    private func encodeComposite<T: Encodable, K: CodingKey>(
        _ value: T, into parent: Int, key: K?, path: CodingPathRef
    ) throws {
        let storage = self.storage
        guard storage.pointee.depth < MessagePackLimits.maxDepth else {
            throw MessagePackError(
                .depthLimitExceeded, at: 0,
                "expected at most \(MessagePackLimits.maxDepth) levels of nested values, "
                    + "found more while encoding \(T.self)",
                codingPath: storage.pointee.path.strings(path, key))
        }
        let savedSlot = slot.pointee
        let savedPath = storage.pointee.path.enter(path, key)
        storage.pointee.depth += 1
        storage.pointee.serial += 1
        slot.pointee = Slot(parent: parent, serial: storage.pointee.serial, valueType: T.self)
        defer {
            slot.pointee = savedSlot
            storage.pointee.depth -= 1
            storage.pointee.path.leave(savedPath)
        }
        try value.encode(to: self)
        if !slot.pointee.filled { storage.pointee.writeEmptyValue(into: parent) }
    }

    /// An encoder for one value placed in `parent` now, to be written whenever it is used.
    func makeSuperEncoder(in parent: Int, path: CodingPathRef, key: some CodingKey) -> any Encoder {
        let superPath = path.appending(key)
        let fullPath = storage.pointee.path.codingPath(superPath)
        let slotNode = storage.pointee.makeChild(of: parent, kind: .slot, path: superPath)
        return MessagePackValueEncoder(superOf: self, slotNode: slotNode, path: fullPath)
    }
}

/// A container's coding path without materialising it: the first `depth` keys of the storage's
/// path stack (stable while the container's value is being coded), then `extra`.
struct CodingPathRef {
    var depth: Int
    var extra: [any CodingKey]

    func appending(_ key: some CodingKey) -> CodingPathRef {
        var copy = self
        copy.extra.append(key)
        return copy
    }
}

/// The coding path of the value being coded, as a stack of keys that nested values push and pop.
struct CodingPathStack {
    var keys: [any CodingKey] = []

    var count: Int { keys.count }

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
    }

    func codingPath(_ ref: CodingPathRef) -> [any CodingKey] {
        Array(keys.prefix(min(ref.depth, keys.count))) + ref.extra
    }

    /// `ref` + `key` as strings, for ``MessagePackError/codingPath``.
    func strings<K: CodingKey>(_ ref: CodingPathRef, _ key: K?) -> [String] {
        var strings = codingPath(ref).map(\.stringValue)
        if let key { strings.append(key.stringValue) }
        return strings
    }

    /// How to undo `enter`: drop back to `count` keys, or put `saved` back.
    struct Saved {
        var count: Int
        var saved: [any CodingKey]?
    }

    /// Sets the stack to `ref` + `key` for a nested value's `encode(to:)` or `init(from:)`.
    mutating func enter<K: CodingKey>(_ ref: CodingPathRef, _ key: K?) -> Saved {
        if ref.extra.isEmpty, ref.depth == keys.count {
            if let key { keys.append(key) }
            return Saved(count: ref.depth, saved: nil)
        }
        // A nested container's value, or a container used out of turn: rebuild the stack.
        let saved = keys
        keys = codingPath(ref)
        if let key { keys.append(key) }
        return Saved(count: 0, saved: saved)
    }

    mutating func leave(_ saved: Saved) {
        if let stack = saved.saved {
            keys = stack
        } else if keys.count > saved.count {
            keys.removeLast(keys.count - saved.count)
        }
    }
}

/// Coding keys the coders make themselves.
struct MessagePackCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(stringValue: String) {
        self.stringValue = stringValue
        self.intValue = nil
    }

    init(intValue: Int) {
        self.stringValue = "Index \(intValue)"
        self.intValue = intValue
    }

    /// The key of `superEncoder()` and `superDecoder()`.
    static let superKey = MessagePackCodingKey(stringValue: "super")
}

/// The key of an unkeyed container's element; its string is only built if someone asks.
struct MessagePackIndexKey: CodingKey {
    let index: Int
    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }

    init(_ index: Int) {
        self.index = index
    }

    init?(stringValue: String) {
        return nil
    }

    init(intValue: Int) {
        self.index = intValue
    }
}

/// Dictionaries whose keys are `Int`: their keyed containers write integer map keys.
protocol MessagePackIntegerKeyedDictionary {}

extension Dictionary: MessagePackIntegerKeyedDictionary where Key == Int {}
