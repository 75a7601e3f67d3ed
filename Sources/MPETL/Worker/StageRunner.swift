/// A stage body's failure on one item, with the item's description when it decoded.
struct StageItemFailure: Error {
    var item: String?
    var underlying: any Error
}

/// Runs one stage's user code inside a worker process: setup, items, teardown.
protocol StageRunner: AnyObject {
    /// Runs the user's setup once for this process; binds the emitter to `output`.
    func setUp(output: BatchSender) throws
    /// Decodes `count` items from `items` and runs the body on each.
    func process(items: UnsafeRawBufferPointer, count: Int) throws(StageItemFailure)
    /// Runs the user's teardown with the state setup returned.
    func tearDown() throws
}

final class TypedStageRunner<Input: Decodable & Sendable, Output: Encodable & Sendable, State>: StageRunner {
    private let setup: () throws -> State
    private let teardown: ((State) throws -> Void)?
    private let body: (Input, State, Emitter<Output>) throws -> Void
    private var state: State?
    private var emitter: Emitter<Output>?

    init(setup: @escaping () throws -> State, teardown: ((State) throws -> Void)?,
         body: @escaping (Input, State, Emitter<Output>) throws -> Void) {
        self.setup = setup
        self.teardown = teardown
        self.body = body
    }

    func setUp(output: BatchSender) throws {
        emitter = Emitter { try output.append($0) }
        state = try setup()
    }

    func process(items: UnsafeRawBufferPointer, count: Int) throws(StageItemFailure) {
        guard let state, let emitter else { return }
        var reader = MessagePackReader(items)
        for _ in 0..<count {
            let input: Input
            do {
                input = try reader.decode(Input.self)
            } catch {
                throw StageItemFailure(item: nil, underlying: error)
            }
            do {
                try body(input, state, emitter)
                try emitter.throwDeferredFailure()
            } catch {
                throw StageItemFailure(item: describe(input), underlying: error)
            }
        }
    }

    func tearDown() throws {
        guard let state else { return }
        self.state = nil
        try teardown?(state)
    }

    private func describe(_ input: Input) -> String {
        let text = String(reflecting: input)
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
