// Each body shape a user may write, normalised to the one shape a worker runs:
// (input, state, emitter). Stages without setup use `Void` state.

extension StageDefinition {
    static func returning<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?,
        setup: @escaping @Sendable () throws -> State, teardown: (@Sendable (State) throws -> Void)?,
        body: @escaping @Sendable (Input, State) throws -> Output?
    ) -> StageDefinition {
        StageDefinition(kind: kind, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown) {
            (input: Input, state: State, emit: Emitter<Output>) in
            if let output = try body(input, state) { emit(output) }
        }
    }

    static func returning<Input: Decodable & Sendable, Output: Codable & Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?,
        setup: @escaping @Sendable () throws -> Void, teardown: (@Sendable (()) throws -> Void)?,
        body: @escaping @Sendable (Input) throws -> Output?
    ) -> StageDefinition {
        returning(kind: kind, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown) {
            (input: Input, _: Void) in try body(input)
        }
    }

    /// A body that always returns a value: no `Optional` to unwrap per item, which in
    /// unspecialised generic code costs a metadata look-up.
    static func mapping<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?,
        setup: @escaping @Sendable () throws -> State, teardown: (@Sendable (State) throws -> Void)?,
        body: @escaping @Sendable (Input, State) throws -> Output
    ) -> StageDefinition {
        StageDefinition(kind: kind, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown) {
            (input: Input, state: State, emit: Emitter<Output>) in emit(try body(input, state))
        }
    }

    static func mapping<Input: Decodable & Sendable, Output: Codable & Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?,
        setup: @escaping @Sendable () throws -> Void, teardown: (@Sendable (()) throws -> Void)?,
        body: @escaping @Sendable (Input) throws -> Output
    ) -> StageDefinition {
        mapping(kind: kind, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown) {
            (input: Input, _: Void) in try body(input)
        }
    }

    static func consuming<Input: Decodable & Sendable, State>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?,
        setup: @escaping @Sendable () throws -> State, teardown: (@Sendable (State) throws -> Void)?,
        body: @escaping @Sendable (Input, State) throws -> Void
    ) -> StageDefinition {
        StageDefinition(kind: kind, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown) {
            (input: Input, state: State, _: Emitter<NoOutput>) in try body(input, state)
        }
    }

    static func consuming<Input: Decodable & Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?,
        setup: @escaping @Sendable () throws -> Void, teardown: (@Sendable (()) throws -> Void)?,
        body: @escaping @Sendable (Input) throws -> Void
    ) -> StageDefinition {
        consuming(kind: kind, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown) {
            (input: Input, _: Void) in try body(input)
        }
    }

    static func emitting<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?,
        setup: @escaping @Sendable () throws -> State, teardown: (@Sendable (State) throws -> Void)?,
        body: @escaping @Sendable (Input, State, Emitter<Output>) throws -> Void
    ) -> StageDefinition {
        StageDefinition(
            kind: kind, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body)
    }

    static func emitting<Input: Decodable & Sendable, Output: Codable & Sendable>(
        kind: StageKind, processes: ProcessCount, chunkSize: Int?,
        setup: @escaping @Sendable () throws -> Void, teardown: (@Sendable (()) throws -> Void)?,
        body: @escaping @Sendable (Input, Emitter<Output>) throws -> Void
    ) -> StageDefinition {
        emitting(kind: kind, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown) {
            (input: Input, _: Void, emit: Emitter<Output>) in try body(input, emit)
        }
    }
}
