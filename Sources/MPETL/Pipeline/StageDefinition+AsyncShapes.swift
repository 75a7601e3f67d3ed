// Each async body shape a user may write, normalised to the one shape an async stage runs:
// (input, state, emitter). Stages without setup use `Void` state. The twins of
// StageDefinition+Shapes.swift.

extension StageDefinition {
    static func returning<Input: Decodable & Sendable, Output: Codable & Sendable, State: Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?, concurrency: Int,
        setup: @escaping @Sendable () async throws -> State, teardown: (@Sendable (State) async throws -> Void)?,
        body: @escaping @Sendable (Input, State) async throws -> Output?
    ) -> StageDefinition {
        StageDefinition(
            kind: kind, processes: processes, chunkSize: chunkSize, concurrency: concurrency, setup: setup,
            teardown: teardown
        ) { (input: Input, state: State, emit: Emitter<Output>) in
            if let output = try await body(input, state) { emit(output) }
        }
    }

    static func returning<Input: Decodable & Sendable, Output: Codable & Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?, concurrency: Int,
        setup: @escaping @Sendable () async throws -> Void, teardown: (@Sendable (()) async throws -> Void)?,
        body: @escaping @Sendable (Input) async throws -> Output?
    ) -> StageDefinition {
        returning(
            kind: kind, processes: processes, chunkSize: chunkSize, concurrency: concurrency, setup: setup,
            teardown: teardown
        ) { (input: Input, _: Void) in try await body(input) }
    }

    static func mapping<Input: Decodable & Sendable, Output: Codable & Sendable, State: Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?, concurrency: Int,
        setup: @escaping @Sendable () async throws -> State, teardown: (@Sendable (State) async throws -> Void)?,
        body: @escaping @Sendable (Input, State) async throws -> Output
    ) -> StageDefinition {
        StageDefinition(
            kind: kind, processes: processes, chunkSize: chunkSize, concurrency: concurrency, setup: setup,
            teardown: teardown
        ) { (input: Input, state: State, emit: Emitter<Output>) in emit(try await body(input, state)) }
    }

    static func mapping<Input: Decodable & Sendable, Output: Codable & Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?, concurrency: Int,
        setup: @escaping @Sendable () async throws -> Void, teardown: (@Sendable (()) async throws -> Void)?,
        body: @escaping @Sendable (Input) async throws -> Output
    ) -> StageDefinition {
        mapping(
            kind: kind, processes: processes, chunkSize: chunkSize, concurrency: concurrency, setup: setup,
            teardown: teardown
        ) { (input: Input, _: Void) in try await body(input) }
    }

    static func consuming<Input: Decodable & Sendable, State: Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?, concurrency: Int,
        setup: @escaping @Sendable () async throws -> State, teardown: (@Sendable (State) async throws -> Void)?,
        body: @escaping @Sendable (Input, State) async throws -> Void
    ) -> StageDefinition {
        StageDefinition(
            kind: kind, processes: processes, chunkSize: chunkSize, concurrency: concurrency, setup: setup,
            teardown: teardown
        ) { (input: Input, state: State, _: Emitter<NoOutput>) in try await body(input, state) }
    }

    static func consuming<Input: Decodable & Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?, concurrency: Int,
        setup: @escaping @Sendable () async throws -> Void, teardown: (@Sendable (()) async throws -> Void)?,
        body: @escaping @Sendable (Input) async throws -> Void
    ) -> StageDefinition {
        consuming(
            kind: kind, processes: processes, chunkSize: chunkSize, concurrency: concurrency, setup: setup,
            teardown: teardown
        ) { (input: Input, _: Void) in try await body(input) }
    }

    static func emitting<Input: Decodable & Sendable, Output: Codable & Sendable, State: Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?, concurrency: Int,
        setup: @escaping @Sendable () async throws -> State, teardown: (@Sendable (State) async throws -> Void)?,
        body: @escaping @Sendable (Input, State, Emitter<Output>) async throws -> Void
    ) -> StageDefinition {
        StageDefinition(
            kind: kind, processes: processes, chunkSize: chunkSize, concurrency: concurrency, setup: setup,
            teardown: teardown, body: body)
    }

    static func emitting<Input: Decodable & Sendable, Output: Codable & Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?, concurrency: Int,
        setup: @escaping @Sendable () async throws -> Void, teardown: (@Sendable (()) async throws -> Void)?,
        body: @escaping @Sendable (Input, Emitter<Output>) async throws -> Void
    ) -> StageDefinition {
        emitting(
            kind: kind, processes: processes, chunkSize: chunkSize, concurrency: concurrency, setup: setup,
            teardown: teardown
        ) { (input: Input, _: Void, emit: Emitter<Output>) in try await body(input, emit) }
    }
}
