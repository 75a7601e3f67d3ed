import Dispatch
internal import MessagePack

/// Whether the calling task runs an async stage's body (`Pipeline.send` checks it).
enum AsyncStageBody {
    @TaskLocal static var isRunning = false
}

/// Runs an async stage inside a worker process: up to `concurrency` items at once, each in a
/// task on Swift's concurrency pool, while the worker's thread keeps its ZeroMQ loop.
///
/// The worker's thread decodes a batch, admits each item (``ItemQuarantine``, one
/// ``HeldItemRecord`` slot per item in flight) and starts it; a task runs the body, encodes
/// what it emitted, and hands the item back through ``FinishedItems``. The worker's thread then
/// sends the outputs (their ids derive from the item's, as for a synchronous body) and, once
/// every item of an input batch has finished, lets the batch count as processed. Items finish
/// in any order; an input batch is only done once its own items and their outputs are (see
/// ``InputLedger``). Memory stays bounded: the worker takes the next batch only once every item
/// it holds has started and a slot is free.
final class AsyncStageRunner<Input: Decodable & Sendable, Output: Encodable & Sendable, State: Sendable>: StageRunner {
    typealias Body = @Sendable (Input, State, Emitter<Output>) async throws -> Void

    private struct Waiting {
        var input: Input
        var id: UInt64
        var batch: Int
    }

    private let setup: @Sendable () async throws -> State
    private let teardown: (@Sendable (State) async throws -> Void)?
    private let body: Body
    private let policy: ErrorPolicy
    private let concurrency: Int
    private var state: State?
    private var output: BatchSender?
    private var quarantine = ItemQuarantine(record: nil)
    private var committer = StateCommitter.none
    private var finished: FinishedItems?
    private var skipped = SkipList()
    /// Decoded items not started yet: at most the rest of one batch.
    private var waiting = FIFO<Waiting>()
    private var freeSlots: [Int]
    /// Items of each input batch that have not finished.
    private var unfinished: [Int: Int] = [:]
    /// The slot of a suspect that runs alone (see ``ItemQuarantine/isolates(_:)``), while it does.
    private var isolatedSlot: Int?
    /// Since when items have been in flight, in ``DispatchTime`` nanoseconds; nil when none are.
    private var busySince: UInt64?

    init(
        setup: @escaping @Sendable () async throws -> State, teardown: (@Sendable (State) async throws -> Void)?,
        policy: ErrorPolicy, concurrency: Int, body: @escaping Body
    ) {
        self.setup = setup
        self.teardown = teardown
        self.policy = policy
        self.concurrency = max(1, concurrency)
        self.body = body
        freeSlots = Array((0..<max(1, concurrency)).reversed())
    }

    func setUp(output: BatchSender, quarantine: ItemQuarantine) throws {
        self.quarantine = quarantine
        self.output = output
        finished = try FinishedItems()
        let setup = setup
        let state = try BlockingAwait.run { try await setup() }
        self.state = state
        committer = StateCommitter(state)
    }

    var commits: Bool { committer.commits }

    func commit() throws {
        try committer.commit()
    }

    func takeSkipped() -> [(item: String, error: String, id: UInt64)] { skipped.take() }

    var itemsInFlight: Int { concurrency - freeSlots.count }

    var hasRoom: Bool { waiting.isEmpty && !freeSlots.isEmpty && isolatedSlot == nil }

    var finishedDescriptor: Int32? { finished?.descriptor }

    func process(items: UnsafeRawBufferPointer, ids: UnsafeRawBufferPointer, count: Int, input: Int)
        throws(BatchFailure) -> Bool
    {
        guard state != nil, count > 0 else { return true }
        try BatchFailure.checkStructure(of: items, count: count)
        // Every item is decoded before any starts: a malformed batch runs none of its items.
        var reader = MessagePackReader(items)
        var decoded: [Input] = []
        decoded.reserveCapacity(count)
        for index in 0..<count {
            do {
                decoded.append(try reader.decode(Input.self))
            } catch {
                throw .malformed("item \(index + 1) of \(count) is not a \(Input.self): \(error)")
            }
        }
        guard reader.isAtEnd else {
            throw .malformed("\(items.count - reader.offset) bytes follow the \(count) items the header announced")
        }
        unfinished[input] = count
        for (index, item) in decoded.enumerated() {
            waiting.append(Waiting(input: item, id: BatchHeader.id(index, in: ids), batch: input))
        }
        startWaiting()
        return false
    }

    /// Starts waiting items while slots are free. A suspect that must run alone waits until
    /// nothing else is in flight, and nothing starts beside it.
    private func startWaiting() {
        guard let finished, let state else { return }
        while isolatedSlot == nil, let next = waiting.first, !freeSlots.isEmpty {
            let isolates = quarantine.isolates(next.id)
            if isolates && itemsInFlight > 0 { return }
            waiting.removeFirst()
            let slot = freeSlots.removeLast()
            if let reason = quarantine.admit(next.id, slot: slot, describe: { describeItem(next.input) }) {
                freeSlots.append(slot)
                finished.add(
                    FinishedItem(
                        id: next.id, input: next.batch, slot: -1,
                        outcome: .skipped(item: describeItem(next.input), error: reason)))
                continue
            }
            if isolates { isolatedSlot = slot }
            if busySince == nil { busySince = DispatchTime.now().uptimeNanoseconds }
            Self.launch(
                body, on: next.input, id: next.id, batch: next.batch, slot: slot, state: state, policy: policy,
                reporting: finished)
        }
    }

    /// Starts a task that runs the body on one item and hands the item to `finished`.
    private static func launch(
        _ body: @escaping Body, on input: Input, id: UInt64, batch: Int, slot: Int, state: State,
        policy: ErrorPolicy, reporting finished: FinishedItems
    ) {
        Task {
            let outcome = await run(body, on: input, state: state, policy: policy)
            finished.add(FinishedItem(id: id, input: batch, slot: slot, outcome: outcome))
        }
    }

    /// Runs the body on one item under the stage's error policy, on the concurrency pool.
    private static func run(_ body: Body, on input: Input, state: State, policy: ErrorPolicy) async
        -> FinishedItem.Outcome
    {
        var attemptsLeft = if case .retry(let times) = policy { max(0, times) } else { 0 }
        while true {
            // Values wait in the emitter until the attempt succeeded: a failed one leaves no trace.
            let emitter = Emitter<Output>(holdingUntilCommit: true) { _ in }
            do {
                try await AsyncStageBody.$isRunning.withValue(true) { try await body(input, state, emitter) }
                return .emitted(try encode(emitter.takeHeld()))
            } catch {
                if attemptsLeft > 0 {
                    attemptsLeft -= 1
                    continue
                }
                if policy == .skip { return .skipped(item: describeItem(input), error: "\(error)") }
                return .failed(item: describeItem(input), error: error)
            }
        }
    }

    private static func encode(_ values: [Output]) throws -> EncodedItems {
        guard !values.isEmpty, Output.self != NoOutput.self else { return EncodedItems() }
        var writer = MessagePackWriter(reservingCapacity: 32 * values.count)
        var encoded = EncodedItems()
        encoded.ends.reserveCapacity(values.count)
        for value in values {
            do {
                try writer.encode(value)
            } catch let error as MessagePackError {
                throw WireError(error)
            }
            encoded.ends.append(writer.bytes.count)
        }
        encoded.bytes = writer.bytes
        return encoded
    }

    func takeFinished() throws(BatchFailure) -> FinishedWork {
        guard let finished, let output else { return FinishedWork() }
        let items = finished.take()
        guard !items.isEmpty else { return FinishedWork() }
        let now = DispatchTime.now().uptimeNanoseconds
        var work = FinishedWork(items: items.count, busyNanoseconds: busySince.map { now &- $0 } ?? 0)
        busySince = nil
        for item in items {
            if item.slot >= 0 {
                quarantine.release(slot: item.slot)
                freeSlots.append(item.slot)
                if item.slot == isolatedSlot { isolatedSlot = nil }
            }
            switch item.outcome {
            case .emitted(let encoded) where !encoded.isEmpty:
                output.currentInput = item.input
                output.startItem(id: item.id)
                work.emittedByInput[item.input, default: 0] += UInt64(encoded.ends.count)
                do {
                    try encoded.forEachItem { try output.append(encoded: $0) }
                } catch {
                    throw .transport(error)
                }
            case .emitted:
                break
            case .skipped(let description, let error):
                skipped.append((description, error, item.id))
            case .failed(let description, let error):
                throw .item(description: description, underlying: error)
            }
            if let left = unfinished[item.input], left > 1 {
                unfinished[item.input] = left - 1
            } else {
                unfinished[item.input] = nil
                work.inputs.append(item.input)
            }
        }
        startWaiting()
        if itemsInFlight > 0 && busySince == nil { busySince = now }
        return work
    }

    func tearDown() throws {
        guard let state else { return }
        self.state = nil
        committer = .none
        guard let teardown else { return }
        try BlockingAwait.run { try await teardown(state) }
    }
}
