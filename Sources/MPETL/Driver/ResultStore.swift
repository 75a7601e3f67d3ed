internal import MessagePack

/// The results a driver holds for the user to read: the encoded bytes of the results alone
/// (no batch headers, no ids, no object per result), packed into segments of about 256 KiB,
/// and read one result at a time.
///
/// A million `Int` results take about 5 MB here (MessagePack's 1-9 bytes each) instead of one
/// array per batch, which cost some 130 bytes per result at chunkSize 1. A segment is freed
/// once every result in it was read.
///
/// The read position lives here, not in an iterator, so a loop left early (`break`), or an
/// iterator dropped half-way through a batch, loses nothing: the next read starts at the
/// first result nobody took.
struct ResultStore {
    enum Taken<Element> {
        case value(Element)
        /// Nothing is waiting.
        case empty
        /// A result did not decode as `Element`: the stream is corrupt from here.
        case corrupt
    }

    private struct Segment {
        var bytes: [UInt8]
        /// Results in `bytes` not read yet.
        var count: Int
    }

    /// How many bytes of results a segment collects before the next one starts.
    static let segmentBytes = 256 * 1024

    private var segments = FIFO<Segment>()
    /// Where the next result of the first segment starts.
    private var offset = 0

    /// Keeps the results of one results batch (header, items, ids).
    mutating func append(batch: UnsafeRawBufferPointer) {
        guard let header = try? BatchHeader(parsing: batch), header.itemCount > 0 else { return }
        let items = header.items(of: batch)
        let count = Int(header.itemCount)
        // Only the size is read here: a copy of the segment kept alive across the append
        // below would make the append copy its bytes.
        let lastSize = segments.last?.bytes.count
        if let lastSize, lastSize + items.count <= Self.segmentBytes {
            segments.updateLast {
                $0.bytes.append(contentsOf: items)
                $0.count += count
            }
        } else {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(max(Self.segmentBytes, items.count))
            bytes.append(contentsOf: items)
            segments.append(Segment(bytes: bytes, count: count))
        }
    }

    /// Decodes and removes the next result.
    mutating func take<Element: Decodable>(_ type: Element.Type) -> Taken<Element> {
        guard let first = segments.first else { return .empty }
        let decoded: (Element, Int)? = first.bytes.withUnsafeBytes { bytes in
            var reader = MessagePackReader(bytes)
            reader.offset = offset
            guard let value = try? reader.decode(Element.self) else { return nil }
            return (value, reader.offset)
        }
        guard let (value, next) = decoded else { return .corrupt }
        if first.count == 1 {
            segments.removeFirst()
            offset = 0
        } else {
            segments.updateFirst { $0.count -= 1 }
            offset = next
        }
        return .value(value)
    }
}
