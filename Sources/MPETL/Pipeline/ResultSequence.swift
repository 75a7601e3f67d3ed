/// The last stage's results, yielded as they arrive; see ``Pipeline/asCompleted(as:)``.
public struct ResultSequence<Element: Decodable & Sendable>: Sequence, Sendable {
    let run: PipelineRun?

    /// The pipeline's failure, once the sequence has ended because of it.
    public var failure: PipelineError? { run?.failure }

    /// An iterator that waits for each next result while the pipeline runs.
    public func makeIterator() -> Iterator { Iterator(run: run) }

    /// Decodes results batch by batch; blocks while the pipeline runs and none is waiting.
    public struct Iterator: IteratorProtocol {
        let run: PipelineRun?
        private var batch: [UInt8] = []
        private var offset = 0
        private var remaining = 0

        init(run: PipelineRun?) { self.run = run }

        public mutating func next() -> Element? {
            guard let run else { return nil }
            while remaining == 0 {
                guard let next = run.nextResultBatch() else { return nil }
                let count = next.withUnsafeBytes { try? BatchHeader(parsing: $0).itemCount } ?? 0
                batch = next
                offset = BatchHeader.size
                remaining = Int(count)
            }
            let decoded: Element? = batch.withUnsafeBytes { bytes in
                var reader = MessagePackReader(bytes)
                reader.offset = offset
                guard let value = try? reader.decode(Element.self) else { return nil }
                offset = reader.offset
                return value
            }
            guard let decoded else {
                // Types were checked at asCompleted; a result that does not decode is corrupt.
                run.markFailed(PipelineError(code: .transportFailed, pipeline: run.label,
                                             reason: "a result could not be decoded as \(Element.self); the results stream is corrupt"))
                remaining = 0
                return nil
            }
            remaining -= 1
            return decoded
        }
    }
}
