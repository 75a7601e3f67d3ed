// TEMPORARY: a stand-in for MPETL's async stage API, which is landing on main; this file goes
// when it does. It runs the async closures on the worker's thread by blocking it.
import Foundation
import MPETL

public protocol AsyncCommitting: Sendable { func commit() async throws }

private final class ResultBox<Value>: @unchecked Sendable {  // written before the semaphore signals, read after
    var result: Result<Value, any Error>?
}

private func blocking<Value>(_ body: @escaping @Sendable () async throws -> Value) throws -> Value {
    let box = ResultBox<Value>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

final class BlockingState<State: AsyncCommitting>: Committing, @unchecked Sendable {  // one worker thread
    let state: State
    init(_ state: State) { self.state = state }
    func commit() throws { try blocking { [state] in try await state.commit() } }
}

extension Pipeline {
    func addDestination<Input: Decodable & Sendable, State: AsyncCommitting>(
        processes: ProcessCount = 1, chunkSize: Int? = nil, concurrency: Int = 1, onError: ErrorPolicy = .fail,
        timeout: Duration? = nil, setup: @escaping @Sendable () async throws -> State,
        teardown: (@Sendable (State) async throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) async throws -> Void
    ) throws {
        try addDestination(
            processes: processes, chunkSize: chunkSize, onError: onError, timeout: timeout,
            setup: { BlockingState(try blocking(setup)) },
            teardown: { state in if let teardown { try blocking { try await teardown(state.state) } } }
        ) { (input: Input, state: BlockingState<State>) in try blocking { try await body(input, state.state) } }
    }
}
