import Foundation
internal import MessagePack
import ZeroMQ

/// A worker process running one replica of one stage, from hello to exit.
///
/// It binds its own ROUTER input (and, in a first stage, a PULL for counted `Pipeline.send`
/// links), says hello to the coordinator with the fingerprint of the program's pipeline,
/// connects a DEALER to each worker of the next stage (or a PUSH to the driver's results
/// collector), runs setup, and then processes batches until the coordinator says everything
/// has reached the end. It grants its producers credit as it starts their batches (see
/// ``DemandLedger``), acknowledges each input batch once that batch is done (see
/// ``InputLedger``), and reports its counters whenever it runs out of input.
final class WorkerProcess {
    let assignment: WorkerAssignment
    let definition: StageDefinition
    let pipelineLabel: String
    let fingerprint: String
    let outputChunkSize: Int
    let highWaterMarks: [Int]

    let context: Context
    let control: Socket
    /// Batches from producers that take credit: the driver's feed, the previous stage's
    /// workers, acknowledged `Pipeline.send` links.
    let input: Socket
    /// Batches from counted `Pipeline.send` links (a driver's, or another language's PUSH):
    /// first stages only.
    let linkInput: Socket?
    // The per-batch state below is only touched by the worker's one thread and never through
    // overlapping accesses: no dynamic exclusivity checks (see BatchSender).
    /// The stage's output into the next stage's workers (or the results collector); nil for a
    /// stage that passes nothing on.
    @exclusivity(unchecked) var output: Producer?
    var transport: AcknowledgedTransport? { output?.transport }
    @exclusivity(unchecked) var sender: BatchSender!
    @exclusivity(unchecked) var ledger = InputLedger()
    @exclusivity(unchecked) var demand = DemandLedger()
    /// When a grant held back at the last dry moment falls due, in ``Self/nanoseconds``.
    @exclusivity(unchecked) var heldGrantDue: UInt64?
    /// When done batches were last reported, and input last processed, in ``Self/nanoseconds``.
    @exclusivity(unchecked) var lastDoneReport: UInt64 = 0
    @exclusivity(unchecked) var lastInput: UInt64 = 0
    /// When the busy loop last looked at control messages, in ``Self/nanoseconds``.
    @exclusivity(unchecked) var lastControlCheck: UInt64 = 0
    /// Time spent waiting for room downstream (backpressure), in nanoseconds: not busy time,
    /// or a stage held up by a slow one after it would look like the bottleneck.
    @exclusivity(unchecked) var blockedNanoseconds: UInt64 = 0
    var namedSends: NamedSends!
    let runner: any StageRunner
    let quarantine: ItemQuarantine
    let encoder = MessagePackEncoder()
    let decoder = MessagePackDecoder()
    @exclusivity(unchecked) var counters = WorkerCounters()
    /// Items run per producer (``WorkerCounters/itemsFrom``), counted apart for speed.
    @exclusivity(unchecked) var itemsRunFrom = ProducerTally()
    /// Ids of what producers emitted that a replay could bring again (see ``UnsettledItems``).
    @exclusivity(unchecked) var unsettled = UnsettledItems()
    /// Producers of the stage before that died: what else comes from them is dropped (their
    /// replay brings it again).
    @exclusivity(unchecked) var lostProducers: Set<UInt32> = []
    /// Lost producers owed `originalsRan` once no input from them is left undone, with the
    /// count of their first emitted items that were settled.
    var originalsOwed: [UInt32: UInt64] = [:]
    var reported = WorkerCounters()
    var lastReport = ContinuousClock.now
    var warnedMalformed = false
    var skipped: [SkippedItem] = []

    /// Runs the assigned stage of `stages` and ends the process; never returns.
    static func run(
        _ assignment: WorkerAssignment, stages: [StageDefinition], maxSize: Int?,
        pipelineLabel: String, fingerprint: String
    ) -> Never {
        do {
            let worker = try WorkerProcess(
                assignment, stages: stages, maxSize: maxSize,
                pipelineLabel: pipelineLabel, fingerprint: fingerprint)
            try worker.serve()
        } catch {
            Log.warning("worker for \(pipelineLabel) stage \(assignment.stage) stopped: \(error)")
            Syscalls.exitProcess(1)
        }
    }

    private init(
        _ assignment: WorkerAssignment, stages: [StageDefinition], maxSize: Int?,
        pipelineLabel: String, fingerprint: String
    ) throws {
        self.assignment = assignment
        definition = stages[assignment.stage]
        self.pipelineLabel = pipelineLabel
        self.fingerprint = fingerprint
        outputChunkSize =
            assignment.stage + 1 < stages.count ? stages[assignment.stage + 1].wireChunkSize : definition.wireChunkSize
        highWaterMarks = FlowControl.highWaterMarks(for: stages, maxSize: maxSize)
        runner = definition.makeRunner(definition.errorPolicy)
        // Without the record the worker still runs; only a death it causes goes untraced.
        quarantine = ItemQuarantine(
            record: assignment.heldItemDescriptor.flatMap { try? HeldItemRecord(mapping: $0) },
            timeout: definition.timeout, concurrency: definition.concurrency)
        // Until its items are timed, a worker describes each (they may be slow).
        quarantine.describesEveryItem = true
        demand.minimumWindow = definition.concurrency

        context = try Context()
        control = try ClusterSecurity.socket(context, type: .dealer, role: .client)
        try control.setLinger(milliseconds: 0)
        try control.connect(assignment.coordinatorEndpoint)
        input = try ClusterSecurity.socket(context, type: .router, role: .server)
        try input.setLinger(milliseconds: 0)
        // Grants are never dropped for want of room: a lost one could leave a producer waiting.
        try input.setSendHighWaterMark(0)
        if highWaterMarks[assignment.stage] > 0 { try input.setReceiveHighWaterMark(highWaterMarks[assignment.stage]) }
        if assignment.stage == 0 {
            let links = try ClusterSecurity.socket(context, type: .pull, role: .server)
            try links.setLinger(milliseconds: 0)
            if highWaterMarks[0] > 0 { try links.setReceiveHighWaterMark(highWaterMarks[0]) }
            linkInput = links
        } else {
            linkInput = nil
        }
    }

    /// Binds `socket` where producers on this host (`ipc://`) and, when advertised, on others
    /// (TCP) reach it; returns the endpoints.
    private func bindInput(_ socket: Socket, name: String) throws -> [Endpoint] {
        let socketName =
            "p\(assignment.ordinal)-s\(assignment.stage)-w\(assignment.worker)-\(Syscalls.processID)\(name)"
        let endpoint = Endpoint.ipc(path: "\(assignment.runDirectory)/\(socketName).sock")
        try socket.bind(endpoint)
        guard let address = NetworkExposure.advertisedAddress else { return [endpoint] }
        try socket.bind(.tcp(host: address, port: nil))
        return [endpoint, try socket.lastEndpoint()]
    }

    func serve() throws -> Never {
        Log.add(["pipeline": "\(pipelineLabel)", "stage": "\(definition.label)", "worker": "\(assignment.worker)"])
        Log.debug("worker starting")
        let endpoints = try bindInput(input, name: "")
        let linkEndpoints = try linkInput.map { try bindInput($0, name: "-links") }
        try sendControl(
            .hello(
                assignment.address, pid: Syscalls.processID, host: Syscalls.hostName,
                fingerprint: fingerprint, inputEndpoints: endpoints, linkEndpoints: linkEndpoints))
        let downstream = try awaitAssignment()
        try connectOutput(to: downstream)
        let output = sender!
        let sends = NamedSends(
            context: context, currentItem: { output.parentID }, currentInput: { output.currentInput },
            resolve: { [unowned self] name in try self.resolve(name) },
            waitForRoom: { [unowned self] wait in try self.waitForRoom(wait) },
            // What a link batch came from is noted before it is released.
            released: { [unowned self] inputs in
                self.noteLinkBatches()
                self.ledger.acknowledged(inputs)
            })
        namedSends = sends
        NamedSends.current.withLock { $0 = sends }
        do {
            try runner.setUp(output: sender, quarantine: quarantine)
        } catch {
            try reportFailure(item: nil, reason: "setup threw: \(error)", cause: error)
        }
        try sendControl(.workerReady(assignment.address))
        try reportOriginals()
        Log.debug("worker ready", ["outputs": "\(downstream.count)"])
        try processUntilFinished()
    }

    // MARK: Start

    func awaitAssignment() throws -> [ConsumerEndpoint] {
        while true {
            switch try receiveControl() {
            case .assign(let consumers): return consumers
            case .refuse(let reason):
                Log.warning("worker refused by the coordinator: \(reason)")
                Syscalls.exitProcess(2)
            case .abort, .exit: Syscalls.exitProcess(0)
            case .producerLost(let pipeline, let producer, let settled) where pipeline == assignment.pipelineID:
                // Answered once running: nothing came from it yet.
                noteLost(producer: producer, settled: settled)
            default: continue
            }
        }
    }

    func connectOutput(to consumers: [ConsumerEndpoint]) throws {
        if !consumers.isEmpty {
            let nextStage = assignment.stage + 1
            // The next stage's workers grant credit; the results collector takes everything.
            let toWorkers = nextStage < highWaterMarks.count
            let highWaterMark = toWorkers ? highWaterMarks[nextStage] : 0
            let context = context
            output = try Producer(
                consumers: consumers, demandDriven: toWorkers,
                connect: { endpoint in
                    toWorkers
                        ? try AcknowledgedTransport.dealer(context, to: endpoint, highWaterMark: highWaterMark)
                        : try AcknowledgedTransport.push(context, to: endpoint, highWaterMark: highWaterMark)
                },
                pipeline: assignment.ordinal, stage: nextStage, producer: UInt32(assignment.worker),
                chunkSize: outputChunkSize,
                // unowned(unsafe): called per batch, and the worker outlives its output.
                sending: { [unowned(unsafe) self] inputs, _ in self.ledger.sent(inputs) },
                released: { [unowned(unsafe) self] inputs in self.ledger.acknowledged(inputs) },
                waitForRoom: { [unowned self] wait in try self.waitForRoom(wait) })
        }
        sender =
            output?.sender
            ?? BatchSender(
                transport: nil, pipeline: assignment.ordinal, stage: assignment.stage + 1,
                producer: UInt32(assignment.worker), chunkSize: outputChunkSize)
        // Until its items are timed, a worker treats them as slow.
        sender.checksLingerPerItem = sender.isAutomatic
        if emitsInInputOrder { sender.settledOutputs = 0 }
    }

    // MARK: Processing

    /// How long an idle worker holds a partial batch in case more input completes it.
    static let partialBatchGrace = 1
    /// The shortest gap between two progress reports, so a worker that keeps running dry
    /// does not send one per batch; also the longest the coordinator waits for the last one.
    static let reportInterval: Duration = .milliseconds(10)
    /// How often a worker that is busy, or blocked waiting for room downstream, reports its
    /// counters: the progress displays redraw about this often.
    static let busyReportInterval: Duration = .milliseconds(250)
    /// The shortest gap between two acknowledgement reports: short, because each hop of the
    /// pipeline adds it to the time from the last item to `join()` returning.
    ///
    /// While input flows, done batches are reported every 10 ms: each report costs the
    /// coordinator a relay, and a later one only holds up memory upstream. Once input has
    /// stopped for 2 ms they go at once: at the end of a run the last acknowledgements travel
    /// back through every stage before `join()` returns.
    static let doneIntervalNanoseconds: UInt64 = 10_000_000
    static let quietNanoseconds: UInt64 = 2_000_000
    /// How often a busy worker looks for control messages (acknowledgements, lost consumers).
    static let controlIntervalNanoseconds: UInt64 = 2_000_000

    /// A monotonic clock in plain nanoseconds: the per-batch path does integer arithmetic on
    /// it, where `Duration`'s 128-bit arithmetic showed up in profiles.
    @inline(__always)
    static var nanoseconds: UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// What the worker's loop waits on: its inputs (unless the stage has no room for more),
    /// the coordinator, and an async stage's finished items.
    struct LoopPoll {
        let poller = Poller()
        let inputItems: [Poller.Item]
        let controlItem: Poller.Item
        let finishedItem: Poller.Item?

        init(inputs: [Socket], control: Socket, finished: Int32?) {
            inputItems = inputs.map { [poller] in poller.add($0, events: .readable) }
            controlItem = poller.add(control, events: .readable)
            finishedItem = finished.map { [poller] in poller.add(fileDescriptor: $0, events: .readable) }
        }
    }

    func processUntilFinished() throws -> Never {
        let message = Message()
        let connection = Message()
        let poll = LoopPoll(
            inputs: [input] + (linkInput.map { [$0] } ?? []), control: control, finished: runner.finishedDescriptor)
        let runsAsync = poll.finishedItem != nil
        while true {
            if runsAsync {
                try collectFinishedItems()
                // Suspects first: a replayed batch may be waiting already, and a suspect must not
                // start beside other items.
                try handleControlMessages()
                try drainBacklogs()
            }
            if runner.hasRoom, let fromProducer = try tryReceiveBatch(into: message, connection: connection) {
                let now = try process(message, grantingThrough: fromProducer ? connection : nil)
                lastInput = now
                // A batch sized by the load waits no longer than its linger, however busy this is.
                if sender.isAutomatic { try sender.flushIfLingering(now: now) }
                try namedSends.flushIfLingering(now: now)
                if now &- lastControlCheck >= Self.controlIntervalNanoseconds { try checkControlWhileBusy(now: now) }
                continue
            }
            // Out of input. Step by step, unless input returns first: say how far this worker
            // got to producers that may need it, pass on the partial batch, say which batches
            // are done, tell the coordinator, grant what was held back, then sleep until woken.
            try grantDueCredit()
            if sender.pendingItems > 0 || namedSends.pendingItems > 0 {
                if try waitForInput(poll, milliseconds: Self.partialBatchGrace) { continue }
                try sender.flush()
                try namedSends.flush()
                settle()
            }
            if ledger.hasNews {
                let now = Self.nanoseconds
                let due = min(lastInput &+ Self.quietNanoseconds, lastDoneReport &+ Self.doneIntervalNanoseconds)
                if now < due {
                    // Whatever wakes this (input, an acknowledgement) changes what comes next.
                    _ = try waitForInput(
                        poll, milliseconds: Int((due - now) / 1_000_000) + 1)
                    continue
                }
                try reportDone()
            }
            if progressChanged {
                let wait = max(.zero, Self.reportInterval - (ContinuousClock.now - lastReport))
                if wait > .zero {
                    _ = try waitForInput(
                        poll, milliseconds: Int(wait / .milliseconds(1)) + 1)
                    continue
                }
                // Just taken by `progressChanged`: not read again.
                try sendProgressIfChanged()
            }
            if let due = heldGrantDue {
                let now = Self.nanoseconds
                if now < due {
                    _ = try waitForInput(
                        poll, milliseconds: Int((due - now) / 1_000_000) + 1)
                    continue
                }
                try grantDueCredit()
                continue
            }
            _ = try waitForInput(poll, milliseconds: nil)
        }
    }

    /// Polls input (while the stage has room for it), control and finished items; handles
    /// control messages. True when input or finished items are waiting.
    func waitForInput(_ poll: LoopPoll, milliseconds: Int?) throws -> Bool {
        let inputEvents: PollEvents = runner.hasRoom ? .readable : []
        for item in poll.inputItems { poll.poller.setEvents(inputEvents, for: item) }
        guard try poll.poller.poll(timeoutMilliseconds: milliseconds) > 0 else { return false }
        if poll.poller.isReadable(poll.controlItem) {
            try handleControlMessages()
            try drainBacklogs()
        }
        return poll.inputItems.contains { poll.poller.isReadable($0) }
            || poll.finishedItem.map { poll.poller.isReadable($0) } == true
    }

    /// Passes on what an async stage's finished items emitted, and lets the input batches
    /// whose items have all finished count as processed.
    func collectFinishedItems() throws {
        let work: FinishedWork
        do throws(BatchFailure) {
            work = try runner.takeFinished()
        } catch {
            try handle(error, in: nil)
            return
        }
        noteSkipped()
        guard work.items > 0 else { return }
        let now = Self.nanoseconds
        counters.busyNanoseconds &+= work.busyNanoseconds
        // Items stay described (see init): the time per item this measures is the stage's
        // throughput, while each item in flight may wait far longer, and a description costs a
        // microsecond beside an item that awaits.
        demand.timed(items: work.items, nanoseconds: work.busyNanoseconds, at: now)
        for (input, count) in work.emittedByInput { ledger.produced(count, by: input) }
        for input in work.inputs { ledger.processed(input) }
        settle()
        if sender.isAutomatic { try sender.flushIfLingering(now: now) }
    }

    /// Takes the next batch from either input into `message`: true when it came from a producer
    /// that takes credit (through `connection`), false from a counted link, nil when none waits.
    /// A message of more frames than a batch is dropped whole and counted as malformed.
    @inline(__always)
    func tryReceiveBatch(into message: Message, connection: Message) throws -> Bool? {
        if try input.tryReceive(into: connection) {
            // A ROUTER always hands the connection's frame first, then the peer's frames.
            guard connection.hasMore else { return try tryReceiveBatch(into: message, connection: connection) }
            try input.receive(into: message)
            guard !message.hasMore else {
                while message.hasMore { try input.receive(into: message) }
                noteMalformed(bytes: message.count, peer: message.peerAddress, reason: "it had more than one frame")
                return try tryReceiveBatch(into: message, connection: connection)
            }
            return true
        }
        if let linkInput, try linkInput.tryReceive(into: message) { return false }
        return nil
    }

    /// Sends the producers the grants that are due: the worker is about to wait for input.
    /// Notes when the next held-back one is.
    func grantDueCredit() throws {
        let now = Self.nanoseconds
        heldGrantDue = try demand.forEachDue(at: now) { try sendGrant(to: $0, at: now) }
    }

    /// Sends every producer the grant it is owed: the worker is about to block.
    func grantOwedCredit() throws {
        let now = Self.nanoseconds
        for producer in demand.owed { try sendGrant(to: producer, at: now) }
    }

    func sendGrant(to producer: UInt32, at now: UInt64 = nanoseconds) throws {
        guard let (connection, grant) = demand.grant(producer, at: now) else { return }
        try input.send(connection, flags: .more)
        try input.send(Credit.encode(grant))
    }

    var progressChanged: Bool {
        takeSenderAndLedgerCounts()
        return counters != reported
    }

    /// Counts a processed batch, and its items under its producer.
    @inline(__always)
    func countBatch(_ header: BatchHeader, busyNanoseconds: UInt64) {
        counters.countBatch(items: header.itemCount, busyNanoseconds: busyNanoseconds)
        itemsRunFrom.add(UInt64(header.itemCount), from: header.producer)
    }

    /// Copies what the sender and the input ledger count into the counters a report carries.
    /// - Parameter readingLinks: false inside a `Pipeline.send`, which holds the links' lock
    ///   while it waits for room: their counts then stay as last read.
    func takeSenderAndLedgerCounts(readingLinks: Bool = true) {
        counters.batchesOut = sender.batchesSent
        counters.itemsOut = sender.itemsSent
        if readingLinks { counters.sends = namedSends.sentBatches }
        counters.fromSenders = ledger.doneThroughLinks
        counters.itemsDone = ledger.doneItems
        counters.itemsOutDone = ledger.doneOutputs
    }

    /// Adds the per-producer counts to a report about to go: they change only with the item
    /// counts, which decide whether one goes, so they are not built on every look.
    func takeProducerCounts() {
        counters.itemsDoneFrom = ledger.doneItemsFrom.byProducer
        counters.itemsFrom = itemsRunFrom.byProducer
    }

    /// Moves the input batches that are now done to the next acknowledgement.
    func settle() {
        noteLinkBatches()
        ledger.settle(pendingFrom: pendingFrom)
    }

    /// Whether the outputs of this worker's done inputs are the first it emitted: true when
    /// it runs one item at a time, which lets the next stage name the copies a replay of its
    /// inputs would bring (see ``UnsettledItems``).
    var emitsInInputOrder: Bool { definition.concurrency == 1 }

    /// Counts the batches `Pipeline.send` links sent against their inputs: they may have left
    /// from a thread the stage started, so the links queue them for this one.
    func noteLinkBatches() {
        for inputs in namedSends.takeSentInputs() { ledger.sent(inputs) }
    }

    /// The first input whose items wait in the partial output batch, if any: not done yet.
    var pendingFrom: Int? {
        let output = sender.pendingItems > 0 ? sender.lowestInputOfBatch : nil
        guard let links = namedSends.pendingFrom else { return output }
        return min(output ?? links, links)
    }

    /// Processes one batch; returns the time it ended, in ``Self/nanoseconds``. `connection`,
    /// when the batch came from a producer that takes credit, is where its grants go.
    func process(_ message: Message, grantingThrough connection: Message?) throws -> UInt64 {
        var ended = Self.nanoseconds
        let failure = message.withUnsafeBytes { (bytes) -> BatchFailure? in
            if CopiesFrame.isCopies(bytes) {
                do throws(WireError) {
                    sender.suppress(try CopiesFrame.ids(of: bytes))
                    return nil
                } catch {
                    return .malformed("\(error)")
                }
            }
            let header: BatchHeader
            do throws(WireError) {
                header = try BatchHeader(parsing: bytes)
            } catch {
                return .malformed("\(error)")
            }
            guard header.pipeline == assignment.ordinal, Int(header.stage) == assignment.stage else {
                return .malformed(
                    "it is addressed to pipeline \(header.pipeline) stage \(header.stage), not this worker's")
            }
            // A lost producer's replay brings this again, through a sibling.
            if !lostProducers.isEmpty && lostProducers.contains(header.producer) { return nil }
            // Recorded before it runs, so the output batches it fills count against it.
            let input: Int
            switch ledger.admit(producer: header.producer, sequence: header.sequence, items: UInt64(header.itemCount)) {
            case .admitted(let admitted): input = admitted
            case .repeated(let expected):
                return .malformed(
                    "producer \(header.producer) already sent batch \(header.sequence) (expected \(expected) next)")
            case .gap(let expected):
                return .outOfSequence(
                    "batches \(expected)…\(header.sequence - 1) from producer \(header.producer) never arrived")
            }
            sender.currentInput = input
            unsettled.record(header, ids: header.ids(of: bytes))
            // An async stage's items run on: the batch counts as processed once they finished.
            var finished = true
            defer {
                if finished { ledger.processed(input) }
                settle()
            }
            if let connection {
                let grantNow = connection.withUnsafeBytes {
                    demand.started(
                        producer: header.producer, connection: $0, sequence: header.sequence,
                        items: Int(header.itemCount), at: ended)
                }
                if grantNow {
                    do { try sendGrant(to: header.producer, at: ended) } catch { return .transport(error) }
                }
            }
            let began = ended
            let emittedBefore = sender.itemsSent &+ UInt64(sender.pendingItems)
            let blockedBefore = blockedNanoseconds
            do throws(BatchFailure) {
                finished = try runner.process(
                    items: header.items(of: bytes), ids: header.ids(of: bytes), count: Int(header.itemCount),
                    input: input)
            } catch {
                return error
            }
            guard finished else {
                countBatch(header, busyNanoseconds: 0)
                return nil
            }
            ended = Self.nanoseconds
            ledger.produced(sender.itemsSent &+ UInt64(sender.pendingItems) &- emittedBefore, by: input)
            let blocked = blockedNanoseconds &- blockedBefore
            countBatch(header, busyNanoseconds: ended &- began &- min(blocked, ended &- began))
            demand.timed(items: Int(header.itemCount), nanoseconds: ended &- began, at: ended)
            sender.checksLingerPerItem = sender.isAutomatic && demand.itemsAreSlow
            quarantine.describesEveryItem = demand.itemsTakeMilliseconds
            return nil
        }
        noteSkipped()
        if let failure { try handle(failure, in: message) }
        return ended
    }

    /// Moves the items the runner skipped to the next report.
    func noteSkipped() {
        let newlySkipped = runner.takeSkipped()
        guard !newlySkipped.isEmpty else { return }
        counters.errors += UInt64(newlySkipped.count)
        skipped += newlySkipped.map {
            SkippedItem(
                stage: definition.label, item: $0.item, error: $0.error, pid: Syscalls.processID,
                host: Syscalls.hostName,
                itemID: $0.id)
        }
    }

    /// Acts on a batch that could not run (`message`, when it was one that arrived) or an item
    /// that failed.
    func handle(_ failure: BatchFailure, in message: Message?) throws {
        switch failure {
        case .outOfSequence(let reason):
            // A batch went missing on the way (a connection was cut and came back): stop, so
            // this worker's producers replay everything it has not acknowledged.
            Log.warning(
                "\(pipelineLabel) \(definition.label): \(reason); stopping so that this worker's unacknowledged "
                    + "batches are replayed"
            )
            Syscalls.exitProcess(3)
        case .malformed(let reason):
            // Dropped whole. A forged one (no known producer's next number) was never
            // recorded; one from a real producer counts as done, as running it again would
            // not help, so its producer is not kept waiting.
            noteMalformed(bytes: message?.count ?? 0, peer: message?.peerAddress, reason: reason)
        case .transport(let error):
            throw error
        case .item(let item, let underlying):
            counters.errors += 1
            try reportFailure(item: item, reason: "the stage threw: \(underlying)", cause: underlying)
        }
    }

    /// Counts a malformed batch; warns about the first.
    func noteMalformed(bytes: Int, peer: String?, reason: String) {
        counters.malformed += 1
        guard !warnedMalformed else { return }
        warnedMalformed = true
        let peer = peer.map { " from \($0)" } ?? ""
        Log.warning(
            "\(pipelineLabel) \(definition.label): dropped a malformed batch of \(bytes) bytes\(peer) (\(reason)); "
                + "further ones are only counted in stats"
        )
    }
}
