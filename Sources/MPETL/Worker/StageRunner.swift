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
    /// Items skipped since the last call (stages with ``ErrorPolicy/skip``), as (item, error).
    func takeSkipped() -> [(item: String, error: String)]
}

final class TypedStageRunner<Input: Decodable & Sendable, Output: Encodable & Sendable, State>: StageRunner {
    private let setup: () throws -> State
    private let teardown: ((State) throws -> Void)?
    private let body: (Input, State, Emitter<Output>) throws -> Void
    private let policy: ErrorPolicy
    private var state: State?
    private var emitter: Emitter<Output>?
    private var skipped: [(item: String, error: String)] = []

    init(setup: @escaping () throws -> State, teardown: ((State) throws -> Void)?, policy: ErrorPolicy,
         body: @escaping (Input, State, Emitter<Output>) throws -> Void) {
        self.setup = setup
        self.teardown = teardown
        self.policy = policy
        self.body = body
    }

    func setUp(output: BatchSender) throws {
        emitter = Emitter(holdingUntilCommit: policy != .fail) { try output.append($0) }
        state = try setup()
    }

    func takeSkipped() -> [(item: String, error: String)] {
        defer { skipped.removeAll() }
        return skipped
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
            var attemptsLeft = if case .retry(let times) = policy { max(0, times) } else { 0 }
            while true {
                do {
                    try body(input, state, emitter)
                    emitter.commit()
                    try emitter.throwDeferredFailure()
                    break
                } catch {
                    emitter.discard()
                    if attemptsLeft > 0 {
                        attemptsLeft -= 1
                        continue
                    }
                    if policy == .skip {
                        skipped.append((describe(input), "\(error)"))
                        break
                    }
                    throw StageItemFailure(item: describe(input), underlying: error)
                }
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
