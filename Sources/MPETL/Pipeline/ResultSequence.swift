/// The last stage's results, yielded as they arrive; see ``Pipeline/asCompleted(as:)``.
///
/// Each result is taken from the pipeline as it is yielded: an iteration left early leaves
/// every result it did not yield for the next one.
public struct ResultSequence<Element: Decodable & Sendable>: Sequence, Sendable {
    let run: PipelineRun?

    /// The pipeline's failure, once the sequence has ended because of it.
    public var failure: PipelineError? { run?.failure }

    /// An iterator that waits for each next result while the pipeline runs.
    public func makeIterator() -> Iterator { Iterator(run: run) }

    /// Takes one result at a time; blocks while the pipeline runs and none is waiting.
    public struct Iterator: IteratorProtocol {
        let run: PipelineRun?

        public mutating func next() -> Element? {
            run?.nextResult(as: Element.self)
        }
    }
}
