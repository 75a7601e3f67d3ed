extension Pipeline {
    /// Sends one item to the first stage of the pipeline named `name`, from any stage body in
    /// any worker process, or from the driver.
    ///
    /// ```swift
    /// let first = Pipeline()
    /// try first.addTask { (text: String) in try Pipeline.send("shout", text) }
    /// let second = Pipeline(name: "shout")
    /// try second.addTask { (text: String) in text.uppercased() }
    /// try first.start()
    /// try second.start()
    /// try first.feed("Hello world")
    /// try first.join()     // senders first,
    /// try second.join()    // then the pipelines they send to
    /// ```
    ///
    /// A worker resolves a name once, through the coordinator, and then pushes batches straight
    /// to the receiver's workers. The receiver's `join()` waits until every pipeline that sent to
    /// it has finished and every item sent has passed all its stages. A name nobody registered is
    /// waited for briefly (3 seconds) in case its pipeline is still starting. From the driver,
    /// `send` to a pipeline this program started is like its `feed`; to another program's
    /// (through a shared coordinator) it returns once the receiver has counted every item.
    ///
    /// - Throws: ``PipelineError`` with ``PipelineError/Code/unknownPipeline`` for a name no
    ///   running pipeline has, ``PipelineError/Code/pipelineFinished`` when that pipeline has
    ///   finished, ``PipelineError/Code/typeMismatch`` when its first stage takes another type.
    public static func send<Item: Encodable & Sendable>(_ name: String, _ item: Item) throws {
        try send(name, contentsOf: CollectionOfOne(item))
    }

    /// Sends every item of `items` to the first stage of the pipeline named `name`, in order.
    /// Otherwise as ``send(_:_:)``.
    ///
    /// ```swift
    /// try Pipeline.send("totals", contentsOf: [1, 2, 3])
    /// ```
    public static func send<Items: Sequence>(_ name: String, contentsOf items: Items) throws
    where Items.Element: Encodable & Sendable {
        switch ProcessRole.current {
        case .worker:
            guard let sends = NamedSends.current.withLock({ $0 }) else {
                throw PipelineError(
                    code: .notStarted, pipeline: name,
                    reason:
                        "Pipeline.send was called in a worker process outside a stage (in code that runs before "
                        + "start()); send from stage bodies, or guard driver-only code with "
                        + "Pipeline.isWorkerProcess"
                )
            }
            guard !AsyncStageBody.isRunning else {
                // The links belong to the worker's thread; an async body runs on the pool.
                throw PipelineError(
                    code: .invalidDefinition, pipeline: name,
                    reason:
                        "Pipeline.send cannot be called from an async stage body yet; emit the items to a "
                        + "synchronous stage after it and send from there"
                )
            }
            try sends.send(name, items)
        case .driver:
            guard let session = DriverRuntime.existing?.latestSession(named: name) else {
                // Not a pipeline of this program: another program's, through the coordinator.
                try RemoteSend.send(name, items, runtime: try DriverRuntime.current())
                return
            }
            guard !session.isFeedClosed, !session.run.isDone else {
                throw PipelineError(
                    code: .pipelineFinished, pipeline: name,
                    reason: "\"\(name)\" was already joined and takes no more items; send to it before joining it")
            }
            try session.feed(items)
        }
    }
}
