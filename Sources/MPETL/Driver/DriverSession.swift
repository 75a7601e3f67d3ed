/// One started pipeline seen from the driver: its registration with the coordinator, the
/// feeder into stage 0, and the run state the agent thread keeps current.
final class DriverSession: Sendable {
    let label: String
    let name: String?
    let ordinal: UInt32
    let run: PipelineRun
    private let runtime: DriverRuntime
    private let feeder: Feeder
    private let firstInput: TypeTag
    private let lastOutput: TypeTag?

    init(
        ordinal: UInt32, label: String, name: String?, stages: [StageDefinition], maxSize: Int?,
        fingerprint: String
    ) throws {
        self.label = label
        self.name = name
        self.ordinal = ordinal
        runtime = try DriverRuntime.current()
        if let name, runtime.runningSession(named: name) != nil {
            throw PipelineError(
                code: .duplicateName, pipeline: label,
                reason:
                    "this program already runs a pipeline named \"\(name)\"; names must be unique while their "
                    + "pipelines run: choose another name or join the other pipeline first"
            )
        }
        firstInput = stages[0].input
        lastOutput = stages[stages.count - 1].output
        let id = "\(Syscalls.hostName):\(Syscalls.processID):\(ordinal)"
        run = PipelineRun(id: id, label: label)
        let input = StageInput(
            typeName: stages[0].input.name, chunkSize: stages[0].wireChunkSize,
            highWaterMark: FlowControl.highWaterMarks(for: stages, maxSize: maxSize)[0])
        // The agent binds the results collector (if the last stage returns values), fills in
        // its endpoints, and registers the pipeline.
        runtime.agent.enqueue(
            .register(
                run: run, collects: lastOutput != nil,
                registration: PipelineRegistration(
                    id: id, ordinal: ordinal, name: name, stages: stages.map(\.summary), fingerprint: fingerprint,
                    executable: Syscalls.executablePath, arguments: CommandLine.arguments,
                    runDirectory: runtime.runDirectory,
                    collectorEndpoints: [], host: Syscalls.hostName, input: input, confirmsLosses: true)))
        let consumers = try run.waitUntilRunning()
        do {
            let agent = runtime.agent
            feeder = try Feeder(
                context: runtime.context, run: run, consumers: consumers, ordinal: ordinal,
                chunkSize: input.chunkSize, highWaterMark: input.highWaterMark,
                onLinger: { [weak run] deadline in
                    // Weak: the run keeps this feeder (see Feeder on the cycle).
                    if let run { agent.enqueue(.flushFeed(run: run, at: deadline)) }
                }
            ) { [id] batches, items in
                agent.send(.feedComplete(pipeline: id, batches: batches, items: items))
            }
            run.attach(feeder)
        } catch {
            throw PipelineError(
                code: .startFailed, pipeline: label,
                reason: "could not connect to the first stage's workers: \(error)")
        }
        runtime.add(self)
    }

    /// Whether `join()` or `asCompleted()` closed the feed.
    var isFeedClosed: Bool { feeder.isClosed }

    func feed<Items: Sequence>(_ items: Items) throws where Items.Element: Encodable {
        guard TypeTag(Items.Element.self) == firstInput else {
            throw PipelineError(
                code: .typeMismatch, pipeline: label,
                reason:
                    "feed was given \(Items.Element.self) but the first stage takes \(firstInput); feed \(firstInput) "
                    + "values"
            )
        }
        if let failure = run.failure { throw failure }
        if let collection = items as? any Collection {
            run.expect(items: run.itemsFed + UInt64(collection.count), explicitly: false)
        }
        try feeder.feed(items, label: label)
    }

    /// Closes the feed: the partial batch goes out, and once everything fed is acknowledged the
    /// coordinator learns that the feed is complete.
    private func closeFeed() throws {
        try feeder.close()
    }

    func join() throws -> JoinReport {
        if run.failure == nil { try closeFeed() }
        return try run.waitUntilDone { senders in self.senderBlockingJoin(among: senders) }
    }

    /// A pipeline of this program that sends to this one and can still be fed: this join would
    /// wait for it forever, because the thread that would join it is waiting here.
    ///
    /// A named pipeline waits for the pipelines started before it (they may send to it), and
    /// for any other that did send to it.
    private func senderBlockingJoin(among senders: [String: String]) -> PipelineError? {
        var awaited = senders.keys.sorted().compactMap { runtime.session(id: $0) }
        if name != nil { awaited = runtime.runningSessions(startedBefore: ordinal) + awaited }
        guard let open = awaited.first(where: { !$0.isFeedClosed && !$0.run.isDone }) else { return nil }
        let sends =
            senders[open.run.id] != nil
            ? "sends items to this pipeline" : "was started before this named pipeline, so it may send to it,"
        return PipelineError(
            code: .joinOrder, pipeline: label,
            reason:
                "\(open.label) \(sends) and is still open for feeding, so this join could never return; join "
                + "\(open.label) first, then this pipeline (join pipelines in the order they were started: senders "
                + "before the pipelines they send to)"
        )
    }

    func results<Result: Decodable>(as type: Result.Type) throws -> ResultSequence<Result> {
        guard let lastOutput else {
            throw PipelineError(
                code: .noResults, pipeline: label,
                reason:
                    "the last stage returns nothing, so there are no results; return a value from it to collect results"
            )
        }
        guard TypeTag(Result.self) == lastOutput else {
            throw PipelineError(
                code: .typeMismatch, pipeline: label,
                reason: "asCompleted asked for \(Result.self) but the last stage produces \(lastOutput)")
        }
        if run.failure == nil { try closeFeed() }
        return ResultSequence(run: run)
    }

    func stats() -> PipelineStats {
        let generation = run.currentStatsGeneration
        runtime.agent.send(.statsRequest(pipeline: run.id))
        var stats =
            run.waitForStats(after: generation, timeout: .seconds(2)) ?? PipelineStats(pipeline: label, stages: [])
        // Only the driver knows what it has fed so far: stage 0's queue is that, less what the
        // stage finished.
        let fed = run.itemsFed
        if !stats.stages.isEmpty {
            stats.stages[0].queueDepth = fed > stats.stages[0].itemsIn ? fed - stats.stages[0].itemsIn : 0
        }
        stats.itemsFed = max(stats.itemsFed, fed)
        stats.expectedItems = run.expectedItems
        return stats
    }
}
