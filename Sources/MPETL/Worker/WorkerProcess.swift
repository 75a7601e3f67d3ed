import Foundation
import ZeroMQ

/// A worker process running one replica of one stage, from hello to exit.
///
/// It binds its own PULL input, says hello to the coordinator with the fingerprint of the
/// program's pipeline, connects a PUSH to each worker of the next stage (or the driver's
/// results collector), runs setup, and then processes batches until the coordinator says
/// everything has reached the end. It acknowledges each input batch once that batch is done
/// (see ``InputLedger``), and reports its counters whenever it runs out of input.
final class WorkerProcess {
    private let assignment: WorkerAssignment
    private let definition: StageDefinition
    private let pipelineLabel: String
    private let fingerprint: String
    private let outputChunkSize: Int
    private let highWaterMarks: [Int]

    private let context: Context
    private let control: Socket
    private let input: Socket
    // The per-batch state below is only touched by the worker's one thread and never through
    // overlapping accesses: no dynamic exclusivity checks (see BatchSender).
    @exclusivity(unchecked) private var transport: AcknowledgedTransport?
    @exclusivity(unchecked) private var sender: BatchSender!
    @exclusivity(unchecked) private var ledger = InputLedger()
    /// When done batches were last reported, and input last processed, in ``Self/nanoseconds``.
    @exclusivity(unchecked) private var lastDoneReport: UInt64 = 0
    @exclusivity(unchecked) private var lastInput: UInt64 = 0
    /// When the busy loop last looked at control messages, in ``Self/nanoseconds``.
    @exclusivity(unchecked) private var lastControlCheck: UInt64 = 0
    private var namedSends: NamedSends!
    private let runner: any StageRunner
    private let encoder = MessagePackEncoder()
    private let decoder = MessagePackDecoder()
    @exclusivity(unchecked) private var counters = WorkerCounters()
    private var reported = WorkerCounters()
    private var lastReport = ContinuousClock.now
    private var warnedMalformed = false
    private var skipped: [SkippedItem] = []

    /// Runs the assigned stage of `stages` and ends the process; never returns.
    static func run(_ assignment: WorkerAssignment, stages: [StageDefinition], maxSize: Int?,
                    pipelineLabel: String, fingerprint: String) -> Never {
        do {
            let worker = try WorkerProcess(assignment, stages: stages, maxSize: maxSize,
                                           pipelineLabel: pipelineLabel, fingerprint: fingerprint)
            try worker.serve()
        } catch {
            Log.warning("worker for \(pipelineLabel) stage \(assignment.stage) stopped: \(error)")
            Syscalls.exitProcess(1)
        }
    }

    private init(_ assignment: WorkerAssignment, stages: [StageDefinition], maxSize: Int?,
                 pipelineLabel: String, fingerprint: String) throws {
        self.assignment = assignment
        definition = stages[assignment.stage]
        self.pipelineLabel = pipelineLabel
        self.fingerprint = fingerprint
        outputChunkSize = assignment.stage + 1 < stages.count ? stages[assignment.stage + 1].chunkSize : definition.chunkSize
        highWaterMarks = FlowControl.highWaterMarks(for: stages, maxSize: maxSize)
        runner = definition.makeRunner(definition.errorPolicy)

        context = try Context()
        control = try ClusterSecurity.socket(context, type: .dealer, role: .client)
        try control.setLinger(milliseconds: 0)
        try control.connect(assignment.coordinatorEndpoint)
        input = try ClusterSecurity.socket(context, type: .pull, role: .server)
        try input.setLinger(milliseconds: 0)
        if highWaterMarks[assignment.stage] > 0 { try input.setReceiveHighWaterMark(highWaterMarks[assignment.stage]) }
    }

    private func serve() throws -> Never {
        Log.add(["pipeline": "\(pipelineLabel)", "stage": "\(definition.label)", "worker": "\(assignment.worker)"])
        Log.debug("worker starting")
        let endpoint = "ipc://\(assignment.runDirectory)/p\(assignment.ordinal)-s\(assignment.stage)-w\(assignment.worker)-\(Syscalls.processID).sock"
        try input.bind(endpoint)
        var endpoints = [endpoint]
        if let address = NetworkExposure.advertisedAddress {
            // Reachable from other hosts too: producers there connect over TCP.
            try input.bind("tcp://\(address):*")
            endpoints.append(try input.lastEndpoint())
        }
        try sendControl(.hello(assignment.address, pid: Syscalls.processID, host: Syscalls.hostName,
                               fingerprint: fingerprint, inputEndpoints: endpoints))
        let downstream = try awaitAssignment()
        try connectOutput(to: downstream)
        let output = sender!
        let sends = NamedSends(context: context, currentItem: { output.parentID },
                               resolve: { [unowned self] name in try self.resolve(name) },
                               waitForRoom: { [unowned self] socket in try self.waitForRoom(on: socket) })
        namedSends = sends
        NamedSends.current.withLock { $0 = sends }
        do {
            try runner.setUp(output: sender)
        } catch {
            try reportFailure(item: nil, reason: "setup threw: \(error)")
        }
        try sendControl(.workerReady(assignment.address))
        Log.debug("worker ready", ["outputs": "\(downstream.count)"])
        try processUntilFinished()
    }

    // MARK: Start

    private func awaitAssignment() throws -> [ConsumerEndpoint] {
        while true {
            switch try receiveControl() {
            case .assign(let consumers): return consumers
            case .refuse(let reason):
                Log.warning("worker refused by the coordinator: \(reason)")
                Syscalls.exitProcess(2)
            case .abort, .exit: Syscalls.exitProcess(0)
            default: continue
            }
        }
    }

    private func connectOutput(to consumers: [ConsumerEndpoint]) throws {
        if !consumers.isEmpty {
            let nextStage = assignment.stage + 1
            let highWaterMark = nextStage < highWaterMarks.count ? highWaterMarks[nextStage] : 0
            let context = context
            transport = try AcknowledgedTransport(
                consumers: consumers,
                connect: { endpoint in try AcknowledgedTransport.push(context, to: endpoint, highWaterMark: highWaterMark) },
                // unowned(unsafe): called per batch, and the worker outlives its transport.
                sending: { [unowned(unsafe) self] inputs in self.ledger.sent(inputs) },
                waitForRoom: { [unowned self] sockets in try self.waitForRoom(on: sockets) })
        }
        sender = BatchSender(transport: transport, pipeline: assignment.ordinal, stage: assignment.stage + 1,
                             producer: UInt32(assignment.worker), chunkSize: outputChunkSize)
    }

    // MARK: Processing

    /// How long an idle worker holds a partial batch in case more input completes it.
    private static let partialBatchGrace = 1
    /// The shortest gap between two progress reports, so a worker that keeps running dry
    /// does not send one per batch; also the longest the coordinator waits for the last one.
    private static let reportInterval: Duration = .milliseconds(10)
    /// The shortest gap between two acknowledgement reports: short, because each hop of the
    /// pipeline adds it to the time from the last item to `join()` returning.
    ///
    /// While input flows, done batches are reported every 10 ms: each report costs the
    /// coordinator a relay, and a later one only holds up memory upstream. Once input has
    /// stopped for 2 ms they go at once: at the end of a run the last acknowledgements travel
    /// back through every stage before `join()` returns.
    private static let doneIntervalNanoseconds: UInt64 = 10_000_000
    private static let quietNanoseconds: UInt64 = 2_000_000
    /// How often a busy worker looks for control messages (acknowledgements, lost consumers).
    private static let controlIntervalNanoseconds: UInt64 = 2_000_000

    /// A monotonic clock in plain nanoseconds: the per-batch path does integer arithmetic on
    /// it, where `Duration`'s 128-bit arithmetic showed up in profiles.
    @inline(__always)
    private static var nanoseconds: UInt64 { DispatchTime.now().uptimeNanoseconds }

    private func processUntilFinished() throws -> Never {
        let message = Message()
        let poller = Poller()
        let inputItem = poller.add(input, events: .readable)
        let controlItem = poller.add(control, events: .readable)
        while true {
            if try input.tryReceive(into: message) {
                let now = try process(message)
                lastInput = now
                if now &- lastControlCheck >= Self.controlIntervalNanoseconds { try checkControlWhileBusy(now: now) }
                continue
            }
            // Out of input. Step by step, unless input returns first: pass on the partial
            // batch, say which batches are done, tell the coordinator how far this worker got,
            // then sleep until woken.
            if sender.pendingItems > 0 || namedSends.pendingItems > 0 {
                if try waitForInput(poller, inputItem, controlItem, milliseconds: Self.partialBatchGrace) { continue }
                try sender.flush()
                try namedSends.flush()
                settle()
            }
            if ledger.hasNews {
                let now = Self.nanoseconds
                let due = min(lastInput &+ Self.quietNanoseconds, lastDoneReport &+ Self.doneIntervalNanoseconds)
                if now < due {
                    // Whatever wakes this (input, an acknowledgement) changes what comes next.
                    _ = try waitForInput(poller, inputItem, controlItem, milliseconds: Int((due - now) / 1_000_000) + 1)
                    continue
                }
                try reportDone()
            }
            if progressChanged {
                let wait = max(.zero, Self.reportInterval - (ContinuousClock.now - lastReport))
                if wait > .zero {
                    _ = try waitForInput(poller, inputItem, controlItem, milliseconds: Int(wait / .milliseconds(1)) + 1)
                    continue
                }
                try reportProgress()
            }
            _ = try waitForInput(poller, inputItem, controlItem, milliseconds: nil)
        }
    }

    /// Polls input and control; handles control messages. True when input is waiting.
    private func waitForInput(_ poller: Poller, _ inputItem: Poller.Item, _ controlItem: Poller.Item,
                              milliseconds: Int?) throws -> Bool {
        guard try poller.poll(timeoutMilliseconds: milliseconds) > 0 else { return false }
        if poller.isReadable(controlItem) {
            try handleControlMessages()
            try transport?.drainBacklog()
        }
        return poller.isReadable(inputItem)
    }

    private var progressChanged: Bool {
        counters.batchesOut = sender.batchesSent
        counters.itemsOut = sender.itemsSent
        counters.sends = namedSends.sentBatches
        counters.fromSenders = ledger.doneThroughLinks
        return counters != reported
    }

    /// Moves the input batches that are now done to the next acknowledgement.
    private func settle() {
        ledger.settle(pendingFrom: pendingFrom)
    }

    /// The first input whose items wait in the partial output batch, if any: not done yet.
    private var pendingFrom: Int? { sender.pendingItems > 0 ? sender.firstInputOfBatch : nil }

    /// Processes one batch; returns the time it ended, in ``Self/nanoseconds``.
    private func process(_ message: Message) throws -> UInt64 {
        var ended = Self.nanoseconds
        let failure = message.withUnsafeBytes { (bytes) -> BatchFailure? in
            let header: BatchHeader
            do throws(WireError) {
                header = try BatchHeader(parsing: bytes)
            } catch {
                return .malformed("\(error)")
            }
            guard header.pipeline == assignment.ordinal, Int(header.stage) == assignment.stage else {
                return .malformed("it is addressed to pipeline \(header.pipeline) stage \(header.stage), not this worker's")
            }
            // Recorded before it runs, so the output batches it fills count against it.
            let input: Int
            switch ledger.admit(producer: header.producer, sequence: header.sequence) {
            case .admitted(let admitted): input = admitted
            case .repeated(let expected):
                return .malformed("producer \(header.producer) already sent batch \(header.sequence) (expected \(expected) next)")
            case .gap(let expected):
                return .outOfSequence("batches \(expected)…\(header.sequence - 1) from producer \(header.producer) never arrived")
            }
            sender.currentInput = input
            defer { ledger.processed(input, pendingFrom: pendingFrom) }
            let began = ended
            do throws(BatchFailure) {
                try runner.process(items: header.items(of: bytes), ids: header.ids(of: bytes), count: Int(header.itemCount))
            } catch {
                return error
            }
            ended = Self.nanoseconds
            counters.countBatch(items: header.itemCount, busyNanoseconds: ended &- began)
            return nil
        }
        let newlySkipped = runner.takeSkipped()
        if !newlySkipped.isEmpty {
            counters.errors += UInt64(newlySkipped.count)
            skipped += newlySkipped.map {
                SkippedItem(stage: definition.label, item: $0.item, error: $0.error, pid: Syscalls.processID, host: Syscalls.hostName,
                            itemID: $0.id)
            }
        }
        switch failure {
        case nil:
            break
        case .outOfSequence(let reason):
            // A batch went missing on the way (a connection was cut and came back): stop, so
            // this worker's producers replay everything it has not acknowledged.
            Log.warning("\(pipelineLabel) \(definition.label): \(reason); stopping so that this worker's unacknowledged batches are replayed")
            Syscalls.exitProcess(3)
        case .malformed(let reason):
            // Dropped and not counted as received: a forged batch cannot corrupt end of stream.
            counters.malformed += 1
            if !warnedMalformed {
                warnedMalformed = true
                let peer = message.peerAddress.map { " from \($0)" } ?? ""
                Log.warning("\(pipelineLabel) \(definition.label): dropped a malformed batch of \(message.count) bytes\(peer) (\(reason)); further ones are only counted in stats")
            }
        case .item(let item, let underlying):
            counters.errors += 1
            try reportFailure(item: item, reason: "the stage threw: \(underlying)")
        }
        return ended
    }

    /// Tells the coordinator which input batches are done, for it to relay to their producers.
    private func reportDone() throws {
        guard ledger.hasNews else { return }
        ledger.markReported()
        lastDoneReport = Self.nanoseconds
        try sendControl(.done(assignment.address, upTo: ledger.done.dictionary))
    }

    private func reportProgress() throws {
        guard progressChanged else { return }
        try reportSkipped()
        reported = counters
        lastReport = .now
        try sendControl(.progress(assignment.address, counters))
    }

    private func checkControlWhileBusy(now: UInt64) throws {
        lastControlCheck = now
        try handleControlMessages()
        try transport?.drainBacklog()
        if ledger.hasNews && now &- lastDoneReport >= Self.doneIntervalNanoseconds { try reportDone() }
        // Keep stats current while busy; end of stream only needs the idle reports.
        if ContinuousClock.now - lastReport > .milliseconds(250) { try reportProgress() }
    }

    /// Waits until one of `sockets` can take a batch, or the coordinator changed the consumers;
    /// leaves at once if the coordinator aborts. Keeps acknowledging meanwhile, so producers
    /// upstream can forget what this worker finished.
    private func waitForRoom(on sockets: [Socket]) throws {
        let poller = Poller()
        let outputItems = sockets.map { poller.add($0, events: .writable) }
        let controlItem = poller.add(control, events: .readable)
        try poller.poll(timeoutMilliseconds: nil)
        if poller.isReadable(controlItem) {
            try handleControlMessages()
            if ledger.hasNews { try reportDone() }
        }
        _ = outputItems
    }

    /// Waits until a `Pipeline.send` link can take a batch; leaves at once if the coordinator aborts.
    private func waitForRoom(on socket: Socket) throws {
        let poller = Poller()
        let outputItem = poller.add(socket, events: .writable)
        let controlItem = poller.add(control, events: .readable)
        while true {
            try poller.poll(timeoutMilliseconds: nil)
            if poller.isReadable(controlItem) {
                try handleControlMessages()
                if ledger.hasNews { try reportDone() }
            }
            if poller.isWritable(outputItem) { return }
        }
    }

    private func handleControlMessages() throws {
        while let message = try control.tryReceiveControl(decoder) { try handle(message) }
    }

    private func handle(_ message: ControlMessage) throws {
        switch message {
        case .acknowledged(_, let consumer, let upTo):
            transport?.acknowledge(consumer: consumer, upTo: upTo) { ledger.acknowledged($0) }
            settle()
        case .consumerLost(_, _, let consumer):
            if let replayed = transport?.lose(consumer: consumer), replayed > 0 {
                Log.debug("replaying batches of a lost consumer", ["consumer": "\(consumer)", "batches": "\(replayed)"])
            }
        case .consumerAdded(_, _, let consumer):
            try transport?.add(consumer)
        case .finish: try finish()
        case .abort:
            try? runner.tearDown()
            Syscalls.exitProcess(0)
        case .exit: Syscalls.exitProcess(0)
        default: return
        }
    }

    // MARK: End

    private func finish() throws -> Never {
        try sender.flush()
        do {
            try runner.tearDown()
        } catch {
            try reportFailure(item: nil, reason: "teardown threw: \(error)")
        }
        // Teardown may still send to named pipelines.
        try namedSends.flush()
        Syscalls.flushStandardStreams()
        counters.batchesOut = sender.batchesSent
        counters.itemsOut = sender.itemsSent
        counters.sends = namedSends.sentBatches
        try reportSkipped()
        try sendControl(.workerFinished(assignment.address, counters))
        Log.debug("worker finished", ["items_in": "\(counters.itemsIn)", "items_out": "\(counters.itemsOut)"])
        // Keep every socket open until the next stage has counted our last batch (closing is
        // not end of stream), then leave.
        while true {
            switch try receiveControl() {
            case .exit, .abort: Syscalls.exitProcess(0)
            default: continue
            }
        }
    }

    private func reportFailure(item: String?, reason: String) throws -> Never {
        let report = FailureReport(pipeline: pipelineLabel, stage: assignment.stage, stageLabel: definition.label,
                                   pid: Syscalls.processID, host: Syscalls.hostName, item: item, reason: reason)
        try sendControl(.stageFailed(assignment.address, report, counters))
        while true {
            switch try receiveControl() {
            case .abort, .exit:
                try? runner.tearDown()
                Syscalls.exitProcess(1)
            default: continue
            }
        }
    }

    /// Sends the skipped items before the counters that include them.
    private func reportSkipped() throws {
        guard !skipped.isEmpty else { return }
        try sendControl(.skipped(assignment.address, skipped))
        skipped.removeAll()
    }

    /// Asks the coordinator where a named pipeline's first stage is; blocks until it answers.
    private func resolve(_ name: String) throws -> SendRoute {
        try sendControl(.resolve(name: name, from: assignment.address))
        while true {
            switch try receiveControl() {
            case .resolved(let route) where route.name == name:
                return route
            case .unresolved(let unresolved, let code, let reason) where unresolved == name:
                throw PipelineError(code: PipelineError.Code(name: code), pipeline: name, reason: reason)
            case .abort:
                try? runner.tearDown()
                Syscalls.exitProcess(0)
            case .exit:
                Syscalls.exitProcess(0)
            default:
                continue
            }
        }
    }

    private func sendControl(_ message: ControlMessage) throws {
        try control.send(try encoder.encode(message))
    }

    private func receiveControl() throws -> ControlMessage {
        while true {
            let frame = Message()
            try control.receive(into: frame)
            if let message = frame.controlMessage(decoder) {
                return message
            }
            Log.warning("worker dropped a malformed control message")
        }
    }
}

extension Socket {
    /// Receives one control message if one is waiting; malformed ones are dropped.
    func tryReceiveControl(_ decoder: MessagePackDecoder) throws -> ControlMessage? {
        let frame = Message()
        while try tryReceive(into: frame) {
            if let message = frame.controlMessage(decoder) {
                return message
            }
            Log.warning("dropped a malformed control message")
        }
        return nil
    }
}
