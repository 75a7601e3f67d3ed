// Generated shapes: every kind of stage accepts the same body shapes (a value, an optional
// value, nothing, or an emitter; each with or without setup state). Each overload only
// builds a StageDefinition; `Pipeline.add` validates and stores it.

extension Pipeline {
    // MARK: Origins

    /// Adds an origin: a stage that runs before every task and destination, origins in the order added.
    ///
    /// The body runs in worker processes. Returns the value to pass on, or `nil` to pass nothing.
    ///
    /// ```swift
    /// try pipeline.addOrigin { (text: String, emit: Emitter<String>) in
    ///     for line in text.split(separator: "\n") { emit(String(line)) }
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addOrigin<Input: Decodable & Sendable, Output: Codable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input) throws -> Output?
    ) throws {
        try add(.returning(kind: .origin, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds an origin: a stage that runs before every task and destination, origins in the order added.
    ///
    /// The body runs in worker processes. Passes on the value it returns.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addOrigin<Input: Decodable & Sendable, Output: Codable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input) throws -> Output
    ) throws {
        try add(.mapping(kind: .origin, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds an origin: a stage that runs before every task and destination, origins in the order added.
    ///
    /// The body runs in worker processes. Passes nothing on.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addOrigin<Input: Decodable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input) throws -> Void
    ) throws {
        try add(.consuming(kind: .origin, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds an origin: a stage that runs before every task and destination, origins in the order added.
    ///
    /// The body runs in worker processes. Passes on every value given to the emitter: zero, one or many per input.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addOrigin<Input: Decodable & Sendable, Output: Codable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input, Emitter<Output>) throws -> Void
    ) throws {
        try add(.emitting(kind: .origin, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds an origin: a stage that runs before every task and destination, origins in the order added.
    ///
    /// The body runs in worker processes. Returns the value to pass on, or `nil` to pass nothing.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addOrigin<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) throws -> Output?
    ) throws {
        try add(.returning(kind: .origin, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    /// Adds an origin: a stage that runs before every task and destination, origins in the order added.
    ///
    /// The body runs in worker processes. Passes on the value it returns.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addOrigin<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) throws -> Output
    ) throws {
        try add(.mapping(kind: .origin, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    /// Adds an origin: a stage that runs before every task and destination, origins in the order added.
    ///
    /// The body runs in worker processes. Passes nothing on.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addOrigin<Input: Decodable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) throws -> Void
    ) throws {
        try add(.consuming(kind: .origin, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    /// Adds an origin: a stage that runs before every task and destination, origins in the order added.
    ///
    /// The body runs in worker processes. Passes on every value given to the emitter: zero, one or many per input.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addOrigin<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State, Emitter<Output>) throws -> Void
    ) throws {
        try add(.emitting(kind: .origin, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    // MARK: Tasks

    /// Adds a task: a stage that runs after every origin and before every destination, tasks in the order added.
    ///
    /// The body runs in worker processes. Returns the value to pass on, or `nil` to pass nothing.
    ///
    /// ```swift
    /// try pipeline.addTask(processes: 4, chunkSize: 100) { (line: String) in line.uppercased() }
    /// ```
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addTask<Input: Decodable & Sendable, Output: Codable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input) throws -> Output?
    ) throws {
        try add(.returning(kind: .task, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a task: a stage that runs after every origin and before every destination, tasks in the order added.
    ///
    /// The body runs in worker processes. Passes on the value it returns.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addTask<Input: Decodable & Sendable, Output: Codable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input) throws -> Output
    ) throws {
        try add(.mapping(kind: .task, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a task: a stage that runs after every origin and before every destination, tasks in the order added.
    ///
    /// The body runs in worker processes. Passes nothing on.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addTask<Input: Decodable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input) throws -> Void
    ) throws {
        try add(.consuming(kind: .task, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a task: a stage that runs after every origin and before every destination, tasks in the order added.
    ///
    /// The body runs in worker processes. Passes on every value given to the emitter: zero, one or many per input.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addTask<Input: Decodable & Sendable, Output: Codable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input, Emitter<Output>) throws -> Void
    ) throws {
        try add(.emitting(kind: .task, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a task: a stage that runs after every origin and before every destination, tasks in the order added.
    ///
    /// The body runs in worker processes. Returns the value to pass on, or `nil` to pass nothing.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addTask<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) throws -> Output?
    ) throws {
        try add(.returning(kind: .task, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a task: a stage that runs after every origin and before every destination, tasks in the order added.
    ///
    /// The body runs in worker processes. Passes on the value it returns.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addTask<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) throws -> Output
    ) throws {
        try add(.mapping(kind: .task, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a task: a stage that runs after every origin and before every destination, tasks in the order added.
    ///
    /// The body runs in worker processes. Passes nothing on.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addTask<Input: Decodable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) throws -> Void
    ) throws {
        try add(.consuming(kind: .task, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a task: a stage that runs after every origin and before every destination, tasks in the order added.
    ///
    /// The body runs in worker processes. Passes on every value given to the emitter: zero, one or many per input.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addTask<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State, Emitter<Output>) throws -> Void
    ) throws {
        try add(.emitting(kind: .task, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    // MARK: Destinations

    /// Adds a destination: a stage that runs after every origin and task, destinations in the order added.
    ///
    /// The body runs in worker processes. Returns the value to pass on, or `nil` to pass nothing.
    ///
    /// ```swift
    /// try pipeline.addDestination(setup: { try Database.open(path) }, teardown: { $0.close() }) { (row: Row, db: Database) in
    ///     try db.insert(row)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addDestination<Input: Decodable & Sendable, Output: Codable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input) throws -> Output?
    ) throws {
        try add(.returning(kind: .destination, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a destination: a stage that runs after every origin and task, destinations in the order added.
    ///
    /// The body runs in worker processes. Passes on the value it returns.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addDestination<Input: Decodable & Sendable, Output: Codable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input) throws -> Output
    ) throws {
        try add(.mapping(kind: .destination, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a destination: a stage that runs after every origin and task, destinations in the order added.
    ///
    /// The body runs in worker processes. Passes nothing on.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addDestination<Input: Decodable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input) throws -> Void
    ) throws {
        try add(.consuming(kind: .destination, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a destination: a stage that runs after every origin and task, destinations in the order added.
    ///
    /// The body runs in worker processes. Passes on every value given to the emitter: zero, one or many per input.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addDestination<Input: Decodable & Sendable, Output: Codable & Sendable>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (Input, Emitter<Output>) throws -> Void
    ) throws {
        try add(.emitting(kind: .destination, processes: processes, chunkSize: chunkSize, setup: {}, teardown: nil, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a destination: a stage that runs after every origin and task, destinations in the order added.
    ///
    /// The body runs in worker processes. Returns the value to pass on, or `nil` to pass nothing.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addDestination<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) throws -> Output?
    ) throws {
        try add(.returning(kind: .destination, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a destination: a stage that runs after every origin and task, destinations in the order added.
    ///
    /// The body runs in worker processes. Passes on the value it returns.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addDestination<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) throws -> Output
    ) throws {
        try add(.mapping(kind: .destination, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a destination: a stage that runs after every origin and task, destinations in the order added.
    ///
    /// The body runs in worker processes. Passes nothing on.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addDestination<Input: Decodable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State) throws -> Void
    ) throws {
        try add(.consuming(kind: .destination, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }

    /// Adds a destination: a stage that runs after every origin and task, destinations in the order added.
    ///
    /// The body runs in worker processes. Passes on every value given to the emitter: zero, one or many per input.
    ///
    /// - Parameters:
    ///   - processes: worker processes running the stage (default 1; `.perCore` for one per core).
    ///   - chunkSize: items per message into this stage; `nil` (the default) sizes messages by the
    ///     load (see ``Pipeline``'s batching notes); a number fixes it.
    ///   - onError: what a throwing body does: fail the pipeline (default), skip the item, or retry.
    ///   - timeout: the longest one item may run; an item still running after it fails under
    ///     `onError` (its worker is ended and replaced). `nil` (the default): no limit.
    ///   - setup: runs once in each worker process before its first item; its result is passed
    ///     to every call of `body` in that process (a database connection, say).
    ///   - teardown: runs once in each worker process after its last item, with setup's result.
    ///   - body: the stage's work on one item.
    /// - Throws: ``PipelineError`` after `start()`, or for a count below 1.
    public func addDestination<Input: Decodable & Sendable, Output: Codable & Sendable, State>(
        processes: ProcessCount = 1,
        chunkSize: Int? = nil,
        onError: ErrorPolicy = .fail,
        timeout: Duration? = nil,
        setup: @escaping @Sendable () throws -> State,
        teardown: (@Sendable (State) throws -> Void)? = nil,
        _ body: @escaping @Sendable (Input, State, Emitter<Output>) throws -> Void
    ) throws {
        try add(.emitting(kind: .destination, processes: processes, chunkSize: chunkSize, setup: setup, teardown: teardown, body: body).onError(onError).timeout(timeout))
    }
}
