/// The state shared by one encoding: the content bytes, the container tree, the coding path.
///
/// Nodes and chunks live in flat arrays that are emptied, not freed, between encodings, so a
/// reused encoder allocates nothing in the steady state.
///
/// A struct that the encoder keeps behind an `UnsafeMutablePointer` (see
/// `MessagePackValueEncoder.storage`) rather than a class: stored properties of a class pay a
/// dynamic exclusivity check on every access, which cost a third of the encoding time. Its
/// mutating methods never call user code, so accesses through the pointer cannot overlap.
struct MessagePackEncodingStorage {
    enum NodeKind: UInt8, CustomStringConvertible {
        /// Exactly one value and no header: the root, or the value of a super encoder.
        case slot
        case array
        case map

        var description: String {
            switch self {
            case .slot: "single-value"
            case .array: "unkeyed"
            case .map: "keyed"
            }
        }
    }

    struct Node {
        /// Elements of an array, pairs of a map.
        var count = 0
        var firstChunk = -1
        var lastChunk = -1
        var depth: Int
        var kind: NodeKind
    }

    /// Part of a node's content: `content.bytes[start..<end]`, or the child node `child` (≥ 0).
    struct Chunk {
        var start: Int
        var end: Int
        var child: Int
        var next = -1
    }

    /// Keys, scalars and strings, in the order they were written; headers come at `emit`.
    var content = MessagePackWriter()
    var nodes: [Node] = []
    var chunks: [Chunk] = []
    /// The node whose last chunk is open (its end is `content.bytes.count`), or -1.
    private var activeNode = -1
    private var activeChunk = -1

    /// The coding path of the value being encoded.
    var path = CodingPathStack()
    /// How many composite values are being encoded, one inside the other.
    var depth = 0
    /// Numbers slots so that stale single-value containers are recognised.
    var serial = 0
    /// A misuse found where Codable gives no way to throw; thrown when the root value is done.
    var deferredError: MessagePackError?
    var userInfo: [CodingUserInfoKey: Any] = [:]

    /// Prepares for a new root value: node 0 is the root slot.
    mutating func reset(userInfo: [CodingUserInfoKey: Any]) {
        content.removeAll()
        nodes.removeAll(keepingCapacity: true)
        chunks.removeAll(keepingCapacity: true)
        path.removeAll()
        activeNode = -1
        activeChunk = -1
        depth = 0
        deferredError = nil
        self.userInfo = userInfo
        nodes.append(Node(depth: 0, kind: .slot))
    }

    // MARK: Building the tree

    /// Makes `node` the one whose content the next bytes written to `content` belong to.
    @inline(__always)
    mutating func begin(_ node: Int) {
        if node != activeNode { openChunk(for: node) }
    }

    private mutating func openChunk(for node: Int) {
        closeActiveChunk()
        let index = chunks.count
        chunks.append(Chunk(start: content.bytes.count, end: -1, child: -1))
        link(index, to: node)
        activeNode = node
        activeChunk = index
    }

    private mutating func closeActiveChunk() {
        guard activeChunk >= 0 else { return }
        chunks[activeChunk].end = content.bytes.count
        activeChunk = -1
        activeNode = -1
    }

    private mutating func link(_ chunk: Int, to node: Int) {
        let last = nodes[node].lastChunk
        if last >= 0 { chunks[last].next = chunk } else { nodes[node].firstChunk = chunk }
        nodes[node].lastChunk = chunk
    }

    /// Adds a container node at the current end of `parent`'s content.
    mutating func makeChild(of parent: Int, kind: NodeKind, path: CodingPathRef) -> Int {
        let depth = nodes[parent].depth + 1
        guard depth <= MessagePackLimits.maxDepth else {
            if deferredError == nil {
                deferredError = MessagePackError(
                    .depthLimitExceeded, at: 0,
                    "expected at most \(MessagePackLimits.maxDepth) levels of nested containers, found more",
                    codingPath: self.path.strings(path, nil as MessagePackIndexKey?))
            }
            return makeOrphan(kind)
        }
        let id = nodes.count
        nodes.append(Node(depth: depth, kind: kind))
        if activeNode == parent, chunks[activeChunk].start == content.bytes.count {
            // The parent's open chunk is still empty: turn it into the child's chunk.
            chunks[activeChunk].child = id
            chunks[activeChunk].end = chunks[activeChunk].start
            activeNode = -1
            activeChunk = -1
        } else {
            closeActiveChunk()
            let index = chunks.count
            chunks.append(Chunk(start: 0, end: 0, child: id))
            link(index, to: parent)
        }
        return id
    }

    /// A node outside the tree, handed out after a misuse so that encoding can go on; its
    /// content is never emitted.
    mutating func makeOrphan(_ kind: NodeKind) -> Int {
        nodes.append(Node(depth: 0, kind: kind))
        return nodes.count - 1
    }

    mutating func recordMisuse(_ detail: String, path: [any CodingKey]) {
        guard deferredError == nil else { return }
        deferredError = MessagePackError(.invalidCoderUsage, at: 0, detail, codingPath: path.map(\.stringValue))
    }

    /// Writes the value of a Codable value that encoded nothing: an empty map.
    mutating func writeEmptyValue(into node: Int) {
        begin(node)
        content.writeMapHeader(count: 0)
    }

    // MARK: Emitting

    /// Appends the whole tree, with headers, to `out`.
    mutating func emit(into out: inout [UInt8]) {
        closeActiveChunk()
        var writer = MessagePackWriter()
        swap(&writer.bytes, &out)
        defer { swap(&writer.bytes, &out) }
        content.bytes.withUnsafeBufferPointer { source in
            emit(node: 0, from: source, into: &writer)
        }
    }

    private func emit(node index: Int, from source: UnsafeBufferPointer<UInt8>, into out: inout MessagePackWriter) {
        let node = nodes[index]
        switch node.kind {
        case .map: out.writeMapHeader(count: node.count)
        case .array: out.writeArrayHeader(count: node.count)
        case .slot: break
        }
        let before = out.bytes.count
        var next = node.firstChunk
        while next >= 0 {
            let chunk = chunks[next]
            if chunk.child >= 0 {
                emit(node: chunk.child, from: source, into: &out)
            } else if chunk.end > chunk.start {
                out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[chunk.start..<chunk.end]))
            }
            next = chunk.next
        }
        if node.kind == .slot, out.bytes.count == before {
            out.writeMapHeader(count: 0)  // a super encoder that was never used
        }
    }
}
