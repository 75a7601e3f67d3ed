/// Passes any number of values from one input to the next stage.
///
/// A stage body that takes an `Emitter` may call it zero, one or many times per input:
///
/// ```swift
/// pipeline.addOrigin { (text: String, emit: Emitter<String>) in
///     for line in text.split(separator: "\n") { emit(String(line)) }
/// }
/// ```
///
/// An emitter belongs to the worker process running the stage and is only valid inside the
/// body's call; keep no reference to it.
public final class Emitter<Output: Encodable & Sendable> {
    private let sink: (Output) throws -> Void
    /// The first error encoding or sending an emitted value raised; the stage fails with it
    /// when the body returns, so `emit` itself never needs `try`.
    private(set) var failure: (any Error)?
    /// Values held back until the body returns, when a failed attempt must leave no trace
    /// (stages that skip or retry); nil when values go straight to the sink.
    private var held: [Output] = []
    /// Checked before touching `held`: the common, non-holding path must stay cheap.
    private let holds: Bool

    init(holdingUntilCommit: Bool = false, _ sink: @escaping (Output) throws -> Void) {
        self.sink = sink
        holds = holdingUntilCommit
    }

    /// Passes `value` to the next stage.
    public func callAsFunction(_ value: Output) {
        emit(value)
    }

    /// Passes `value` to the next stage.
    public func emit(_ value: Output) {
        guard failure == nil else { return }
        if holds {
            held.append(value)
            return
        }
        do {
            try sink(value)
        } catch {
            failure = error
        }
    }

    /// Passes every value of `values` to the next stage.
    public func emit(contentsOf values: some Sequence<Output>) {
        for value in values { emit(value) }
    }

    /// Passes on the values held back for the attempt that just succeeded.
    func commit() {
        guard holds, !held.isEmpty else { return }
        let values = held
        held.removeAll(keepingCapacity: true)
        do {
            for value in values { try sink(value) }
        } catch {
            failure = error
        }
    }

    /// Takes the values held back for the attempt that just succeeded (an async stage's item
    /// hands them to the worker's thread).
    func takeHeld() -> [Output] {
        defer { held.removeAll() }
        return held
    }

    /// Forgets the values of an attempt that threw.
    func discard() {
        if holds { held.removeAll(keepingCapacity: true) }
        failure = nil
    }

    /// Throws the deferred failure, if any, and clears it for the next item.
    func throwDeferredFailure() throws {
        if let failure {
            self.failure = nil
            throw failure
        }
    }
}
