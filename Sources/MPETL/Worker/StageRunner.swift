internal import MessagePack

/// Why a batch could not be run.
enum BatchFailure: Error {
    /// Its bytes do not hold `count` items of the stage's input type: dropped, never run.
    case malformed(String)
    /// The body threw for an item (after the stage's error policy).
    case item(description: String, underlying: any Error)
    /// Earlier batches of its producer never arrived: the connection lost them.
    case outOfSequence(String)
    /// Sending the producer its credit failed: the worker's own socket failed.
    case transport(any Error)
}

/// Runs one stage's user code inside a worker process: setup, items, teardown.
///
/// A synchronous stage runs each batch's items on the worker's thread, one after the other. An
/// asynchronous one (see ``AsyncStageRunner``) starts them on Swift's concurrency pool, up to its
/// `concurrency` at once, and hands back what finished through ``takeFinished()``.
protocol StageRunner: AnyObject {
    /// Runs the user's setup once for this process; binds the emitter to `output`. Each item
    /// passes `quarantine` before its body runs.
    func setUp(output: BatchSender, quarantine: ItemQuarantine) throws
    /// Decodes all `count` items from `items`, then runs the body on each: a malformed batch is
    /// refused whole, before any of it runs. What an item emits gets ids derived from its id
    /// in `ids`. `input` is the batch's number in the worker's ``InputLedger``.
    /// - Returns: true when every item has run; false when they run on, and a later
    ///   ``takeFinished()`` names `input` once the last has.
    func process(items: UnsafeRawBufferPointer, ids: UnsafeRawBufferPointer, count: Int, input: Int)
        throws(BatchFailure) -> Bool
    /// Whether the worker may take another input batch: an asynchronous stage takes one once
    /// every item it holds has started and one more could.
    var hasRoom: Bool { get }
    /// Readable once items have finished since the last ``takeFinished()``; nil for a stage
    /// that runs items on the worker's thread.
    var finishedDescriptor: Int32? { get }
    /// Passes on what the items that finished since the last call emitted, and says which
    /// input batches have now finished whole.
    /// - Throws: ``BatchFailure/item(description:underlying:)`` when an item's body threw
    ///   (after the stage's error policy); ``BatchFailure/transport(_:)`` when sending failed.
    func takeFinished() throws(BatchFailure) -> FinishedWork
    /// Items started and not yet finished.
    var itemsInFlight: Int { get }
    /// Runs the user's teardown with the state setup returned.
    func tearDown() throws
    /// Items skipped since the last call (stages with ``ErrorPolicy/skip``), as (item, error, id).
    func takeSkipped() -> [(item: String, error: String, id: UInt64)]
    /// Whether the stage's state is ``Committing``: then its batches are done only once committed.
    var commits: Bool { get }
    /// Commits the state's held-back work, if it is ``Committing`` or ``AsyncCommitting``.
    func commit() throws
}

extension StageRunner {
    var hasRoom: Bool { true }
    var finishedDescriptor: Int32? { nil }
    func takeFinished() throws(BatchFailure) -> FinishedWork { FinishedWork() }
    var itemsInFlight: Int { 0 }
}

/// Items a stage skipped (``ErrorPolicy/skip``) since the worker last took them.
struct SkipList {
    private var items: [(item: String, error: String, id: UInt64)] = []

    mutating func append(_ item: (item: String, error: String, id: UInt64)) { items.append(item) }

    mutating func take() -> [(item: String, error: String, id: UInt64)] {
        guard !items.isEmpty else { return [] }
        defer { items.removeAll() }
        return items
    }
}

/// What an async stage's items finished since a worker last asked.
struct FinishedWork {
    /// Input batches whose items have all finished.
    var inputs: [Int] = []
    /// Items that finished.
    var items = 0
    /// How long items were in flight meanwhile, in nanoseconds.
    var busyNanoseconds: UInt64 = 0
    /// Items the finished items emitted, by the input batch they came from.
    var emittedByInput: [Int: UInt64] = [:]
}

final class TypedStageRunner<Input: Decodable & Sendable, Output: Encodable & Sendable, State>: StageRunner {
    private let setup: () throws -> State
    private let teardown: ((State) throws -> Void)?
    private let body: (Input, State, Emitter<Output>) throws -> Void
    private let policy: ErrorPolicy
    private var state: State?
    private var emitter: Emitter<Output>?
    private var output: BatchSender?
    private var quarantine = ItemQuarantine(record: nil)
    private var committer = StateCommitter.none
    private var skipped = SkipList()

    init(
        setup: @escaping () throws -> State, teardown: ((State) throws -> Void)?, policy: ErrorPolicy,
        body: @escaping (Input, State, Emitter<Output>) throws -> Void
    ) {
        self.setup = setup
        self.teardown = teardown
        self.policy = policy
        self.body = body
    }

    func setUp(output: BatchSender, quarantine: ItemQuarantine) throws {
        self.quarantine = quarantine
        emitter = Emitter(holdingUntilCommit: policy != .fail) { try output.append($0) }
        self.output = output
        let state = try setup()
        self.state = state
        committer = StateCommitter(state)
    }

    var commits: Bool { committer.commits }

    func commit() throws {
        try committer.commit()
    }

    func takeSkipped() -> [(item: String, error: String, id: UInt64)] { skipped.take() }

    func process(items: UnsafeRawBufferPointer, ids: UnsafeRawBufferPointer, count: Int, input _: Int)
        throws(BatchFailure) -> Bool
    {
        guard let state, let emitter, let output else { return true }
        try BatchFailure.checkStructure(of: items, count: count)
        var reader = MessagePackReader(items)
        for index in 0..<count {
            let input: Input
            do {
                input = try reader.decode(Input.self)
            } catch {
                throw .malformed("item \(index + 1) of \(count) is not a \(Input.self): \(error)")
            }
            let id = BatchHeader.id(index, in: ids)
            if let reason = quarantine.admit(id, describe: { describe(input) }) {
                skipped.append((describe(input), reason, id))
                continue
            }
            do {
                try output.startItemFlushingLingering(id: id)
            } catch {
                throw .transport(error)
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
                        skipped.append((describe(input), "\(error)", id))
                        break
                    }
                    quarantine.release()
                    throw .item(description: describe(input), underlying: error)
                }
            }
            quarantine.release()
        }
        guard reader.isAtEnd else {
            throw .malformed("\(items.count - reader.offset) bytes follow the \(count) items the header announced")
        }
        return true
    }

    func tearDown() throws {
        guard let state else { return }
        self.state = nil
        committer = .none
        try teardown?(state)
    }

    private func describe(_ input: Input) -> String { describeItem(input) }
}

/// An item as errors and skips name it: its reflection, cut to 200 characters.
func describeItem(_ input: some Any) -> String {
    let text = String(reflecting: input)
    return text.count > 200 ? String(text.prefix(200)) + "…" : text
}

extension BatchFailure {
    /// Checks a batch's structure before any of it runs (cheap, and not generic): a truncated or
    /// miscounted batch is refused whole. A single item needs no pre-pass: it fails before
    /// anything runs.
    static func checkStructure(of items: UnsafeRawBufferPointer, count: Int) throws(BatchFailure) {
        guard count > 1 else { return }
        var check = MessagePackReader(items)
        for index in 0..<count {
            do {
                try check.skipValue()
            } catch {
                throw .malformed("item \(index + 1) of \(count) is cut short or invalid: \(error)")
            }
        }
        guard check.isAtEnd else {
            throw .malformed("\(items.count - check.offset) bytes follow the \(count) items the header announced")
        }
    }
}
