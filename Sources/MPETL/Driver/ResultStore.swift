/// The results a driver holds for the user to read: result batches as they arrived (their
/// encoded bytes, not one object per result), read one result at a time.
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

    private var batches = FIFO<[UInt8]>()
    /// Where the next result of the first batch starts, and how many it still holds; nil
    /// until the first batch's header is read.
    private var cursor: (offset: Int, remaining: Int)?

    mutating func append(_ batch: [UInt8]) {
        batches.append(batch)
    }

    /// Decodes and removes the next result.
    mutating func take<Element: Decodable>(_ type: Element.Type) -> Taken<Element> {
        while let batch = batches.first {
            let (offset, remaining) = cursor ?? batch.withUnsafeBytes { bytes in
                (BatchHeader.size, Int((try? BatchHeader(parsing: bytes))?.itemCount ?? 0))
            }
            guard remaining > 0 else {
                batches.removeFirst()
                cursor = nil
                continue
            }
            let decoded: (Element, Int)? = batch.withUnsafeBytes { bytes in
                var reader = MessagePackReader(bytes)
                reader.offset = offset
                guard let value = try? reader.decode(Element.self) else { return nil }
                return (value, reader.offset)
            }
            guard let (value, next) = decoded else { return .corrupt }
            cursor = (next, remaining - 1)
            return .value(value)
        }
        return .empty
    }
}
