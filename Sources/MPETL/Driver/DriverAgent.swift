import Foundation
import ZeroMQ

/// The driver's one connection to the coordinator, and its results collector.
///
/// A thread owns the DEALER to the coordinator and every pipeline's results PULL. The user's
/// threads hand it work through a queue and wake it with an inproc doorbell, so no socket is
/// ever used by two threads at once.
final class DriverAgent: Sendable {
    enum Command {
        case send(ControlMessage)
        case collect(run: PipelineRun, endpoint: String, ordinal: UInt32, stage: Int)
    }

    private let inbox: Inbox

    init(context: Context, coordinatorEndpoint: String) throws {
        let inbox = try Inbox(context: context)
        self.inbox = inbox
        let started = StartSignal()
        let thread = Thread {
            let loop: AgentLoop
            do {
                loop = try AgentLoop(context: context, coordinatorEndpoint: coordinatorEndpoint, inbox: inbox)
                started.succeed()
            } catch {
                started.fail(error)
                return
            }
            loop.run()
        }
        thread.name = "mpetl-driver-agent"
        thread.start()
        try started.wait()
    }

    func send(_ message: ControlMessage) { inbox.enqueue(.send(message)) }

    func enqueue(_ command: Command) { inbox.enqueue(command) }

    /// Commands from the user's threads to the agent thread, with a doorbell to wake it.
    final class Inbox: @unchecked Sendable {
        let endpoint = "inproc://mpetl-driver-agent-\(UUID().uuidString)"
        // `commands` and the doorbell socket are only touched while holding `lock`.
        private let lock = NSLock()
        private var commands: [Command] = []
        private let doorbell: Socket

        init(context: Context) throws {
            doorbell = try Socket(context, type: .push)
            // inproc allows connecting before the agent thread binds.
            try doorbell.connect(endpoint)
        }

        func enqueue(_ command: Command) {
            lock.lock()
            defer { lock.unlock() }
            commands.append(command)
            try? doorbell.send([0])
        }

        func take() -> [Command] {
            lock.lock()
            defer { lock.unlock() }
            let taken = commands
            commands.removeAll()
            return taken
        }
    }
}

/// The agent thread's sockets and bookkeeping; never leaves that thread.
private final class AgentLoop {
    private struct Collector {
        var run: PipelineRun
        var socket: Socket
        var ordinal: UInt32
        var stage: Int
        var counters = WorkerCounters()
        var reportedBatches: UInt64 = 0
        var lastReport = ContinuousClock.now
        var warnedMalformed = false
    }

    private let context: Context
    private let dealer: Socket
    private let doorbell: Socket
    private let inbox: DriverAgent.Inbox
    private var runs: [String: PipelineRun] = [:]
    private var collectors: [String: Collector] = [:]
    private let encoder = MessagePackEncoder()
    private let decoder = MessagePackDecoder()
    private let frame = Message()

    init(context: Context, coordinatorEndpoint: String, inbox: DriverAgent.Inbox) throws {
        self.context = context
        self.inbox = inbox
        doorbell = try Socket(context, type: .pull)
        try doorbell.bind(inbox.endpoint)
        dealer = try Socket(context, type: .dealer)
        try dealer.setLinger(milliseconds: 0)
        try dealer.connect(coordinatorEndpoint)
    }

    /// The shortest gap between two progress reports of a collector (as for workers).
    private static let reportInterval: Duration = .milliseconds(10)

    func run() {
        while true {
            let poller = Poller()
            let doorbellItem = poller.add(doorbell, events: .readable)
            let dealerItem = poller.add(dealer, events: .readable)
            let watched = collectors.map { (id: $0.key, item: poller.add($0.value.socket, events: .readable)) }
            // Wake when an unreported collector's report is due.
            let due = collectors.values.filter { $0.counters.batchesIn != $0.reportedBatches }
                .map { $0.lastReport + Self.reportInterval }.min()
            let timeout = due.map { max(0, Int(ContinuousClock.now.duration(to: $0) / .milliseconds(1)) + 1) }
            do {
                try poller.poll(timeoutMilliseconds: timeout)
                if poller.isReadable(doorbellItem) { try runCommands() }
                if poller.isReadable(dealerItem) { try receiveControlMessages() }
                for collector in watched where poller.isReadable(collector.item) { try collect(collector.id) }
                try reportDueProgress()
            } catch {
                Diagnostics.log("driver agent stopped: \(error)")
                let failure = PipelineError(code: .transportFailed, pipeline: "driver", reason: "the driver's connection to the coordinator failed: \(error)")
                for run in runs.values { run.markFailed(failure) }
                return
            }
        }
    }

    private func runCommands() throws {
        while try doorbell.tryReceive(into: frame) {}
        for command in inbox.take() {
            switch command {
            case .send(let message):
                try dealer.send(try encoder.encode(message))
            case .collect(let run, let endpoint, let ordinal, let stage):
                runs[run.id] = run
                if !endpoint.isEmpty {
                    let socket = try Socket(context, type: .pull)
                    try socket.setLinger(milliseconds: 0)
                    try socket.bind(endpoint)
                    collectors[run.id] = Collector(run: run, socket: socket, ordinal: ordinal, stage: stage)
                }
            }
        }
    }

    private func receiveControlMessages() throws {
        while try dealer.tryReceive(into: frame) {
            guard let message = try? frame.withUnsafeBytes({ try decoder.decode(ControlMessage.self, from: Array($0)) }) else {
                Diagnostics.log("driver dropped a malformed message from the coordinator")
                continue
            }
            switch message {
            case .ready(let pipeline, let endpoints):
                runs[pipeline]?.markRunning(endpoints)
            case .finished(let pipeline, let stats):
                collectors[pipeline] = nil
                runs.removeValue(forKey: pipeline)?.markFinished(stats)
            case .failed(let report):
                let id = runs.keys.first { $0 == report.pipeline } ?? runs.first { $0.value.label == report.pipeline }?.key
                if let id {
                    collectors[id] = nil
                    runs.removeValue(forKey: id)?.markFailed(PipelineError(report))
                }
            case .stats(let pipeline, let stats):
                runs[pipeline]?.storeStats(stats)
            case .senderAdded(let pipeline, let sender, let senderLabel):
                runs[pipeline]?.addSender(sender, label: senderLabel)
            default:
                Diagnostics.log("driver ignored a control message meant for a worker")
            }
        }
    }

    private func collect(_ id: String) throws {
        guard var collector = collectors[id] else { return }
        var drained = 0
        while drained < 10_000, try collector.socket.tryReceive(into: frame) {
            drained += 1
            let accepted: Bool = frame.withUnsafeBytes { bytes in
                guard let header = try? BatchHeader(parsing: bytes),
                      header.pipeline == collector.ordinal, Int(header.stage) == collector.stage
                else { return false }
                collector.counters.batchesIn += 1
                collector.counters.itemsIn += UInt64(header.itemCount)
                collector.run.appendResults(Array(bytes))
                return true
            }
            if !accepted {
                collector.counters.malformed += 1
                if !collector.warnedMalformed {
                    collector.warnedMalformed = true
                    Diagnostics.log("\(collector.run.label): dropped a malformed results message (\(frame.count) bytes)")
                }
            }
        }
        collectors[id] = collector
    }

    private func reportDueProgress() throws {
        let now = ContinuousClock.now
        for (id, collector) in collectors
        where collector.counters.batchesIn != collector.reportedBatches && now - collector.lastReport >= Self.reportInterval {
            collectors[id]?.reportedBatches = collector.counters.batchesIn
            collectors[id]?.lastReport = now
            let address = WorkerAddress(pipeline: id, stage: collector.stage, worker: 0)
            try dealer.send(try encoder.encode(ControlMessage.progress(address, collector.counters)))
        }
    }
}
