import Foundation

/// The driver's live view of one started pipeline, shared by the user's threads (which wait
/// on it) and the agent thread (which fills it from the coordinator and the results socket).
final class PipelineRun: @unchecked Sendable {
    enum Phase {
        case starting
        case running(stageZero: [ConsumerEndpoint])
        case finished(JoinReport)
        case failed(PipelineError)
    }

    let id: String
    let label: String
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var phase = Phase.starting
    private var results = ResultStore()
    /// Async readers waiting for the next change (a result, or the end).
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0
    private var latestStats: PipelineStats?
    private var statsGeneration = 0
    /// Pipelines that send to this one, by id, with their labels.
    private var senders: [String: String] = [:]
    /// The feed into stage 0, once connected; events for it wait here until then.
    private var feeder: Feeder?
    private var feederEvents: [Feeder.Event] = []
    /// What the program said it will feed (see ``expect(items:explicitly:)``).
    private var expected: (items: UInt64, explicit: Bool)?

    init(id: String, label: String) {
        self.id = id
        self.label = label
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    private func change(_ body: () -> Void) {
        let woken = locked {
            body()
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        condition.broadcast()
        for waiter in woken { waiter.resume() }
    }

    // MARK: Agent side

    func markRunning(_ consumers: [ConsumerEndpoint]) {
        change { if case .starting = phase { phase = .running(stageZero: consumers) } }
    }
    func markFinished(_ report: JoinReport) { change { phase = .finished(report) } }
    func markFailed(_ error: PipelineError) {
        change {
            if case .finished = phase { return }
            if case .failed = phase { return }
            phase = .failed(error)
        }
    }
    func appendResults(_ batch: [UInt8]) { change { batch.withUnsafeBytes { results.append(batch: $0) } } }

    /// Passes an acknowledgement or a change of stage 0's workers to the feed.
    func deliverToFeeder(_ event: Feeder.Event) {
        let current: Feeder? = locked {
            if feeder == nil { feederEvents.append(event) }
            return feeder
        }
        current?.deliver(event)
    }

    /// Items the feed has sent into stage 0 so far.
    var itemsFed: UInt64 { locked { feeder }?.itemsSent.load(ordering: .relaxed) ?? 0 }

    /// Items the program will feed in all, for progress: `explicitly` from `expect(items:)`,
    /// which stands; otherwise from the first collection fed, which stands until more is fed.
    func expect(items: UInt64, explicitly: Bool) {
        locked {
            if explicitly || expected == nil { expected = (items, explicitly) }
        }
    }

    /// Items the program will feed in all, when it said so or fed a collection first; nil once
    /// more than a collection's count was fed without saying.
    var expectedItems: UInt64? {
        let fed = itemsFed
        return locked {
            guard let expected else { return nil }
            return expected.explicit || fed <= expected.items ? expected.items : nil
        }
    }

    /// From the agent thread: sends the feed's partial batch if it has lingered.
    func flushLingeringFeed() {
        locked { feeder }?.flushLingering()
    }

    /// Connects the feed to the events the agent delivers, including those that came first.
    func attach(_ feeder: Feeder) {
        let early: [Feeder.Event] = locked {
            self.feeder = feeder
            defer { feederEvents.removeAll() }
            return feederEvents
        }
        for event in early { feeder.deliver(event) }
    }
    func addSender(_ id: String, label: String) { change { senders[id] = label } }
    func storeStats(_ stats: PipelineStats) {
        change {
            latestStats = stats
            statsGeneration += 1
        }
    }

    var isDone: Bool { locked { phaseIsFinal } }

    /// Whether the phase is finished or failed; only while holding the lock.
    private var phaseIsFinal: Bool {
        switch phase {
        case .finished, .failed: true
        default: false
        }
    }

    // MARK: User side

    /// The failure, if the pipeline has failed.
    var failure: PipelineError? {
        locked {
            if case .failed(let error) = phase { return error }
            return nil
        }
    }

    /// Waits until every worker is connected; returns stage 0's workers.
    ///
    /// A coordinator that never answers (not there, or refusing this process's key) fails the
    /// run through the agent, which watches its heartbeats.
    func waitUntilRunning() throws -> [ConsumerEndpoint] {
        try locked {
            while true {
                switch phase {
                case .starting:
                    condition.wait()
                case .running(let endpoints): return endpoints
                case .failed(let error): throw error
                case .finished: return []
                }
            }
        }
    }

    /// Waits until every item has passed every stage, or the pipeline failed.
    ///
    /// - Parameter blocked: looks at the known senders whenever the run changes and returns an
    ///   error when waiting could never end.
    @discardableResult
    func waitUntilDone(blocked: ([String: String]) -> PipelineError? = { _ in nil }) throws -> JoinReport {
        try locked {
            while true {
                switch phase {
                case .starting, .running:
                    if let error = blocked(senders) { throw error }
                    condition.wait()
                case .finished(let report): return report
                case .failed(let error): throw error
                }
            }
        }
    }

    /// The next result, waiting for one while the pipeline runs; nil at the end. A result
    /// that does not decode fails the run.
    func nextResult<Element: Decodable>(as type: Element.Type) -> Element? {
        let taken: ResultStore.Taken<Element> = locked {
            while true {
                let taken = results.take(type)
                guard case .empty = taken else { return taken }
                switch phase {
                case .finished, .failed: return .empty
                case .starting, .running: condition.wait()
                }
            }
        }
        return value(of: taken)
    }

    /// The same without blocking a thread: an async reader waits for the agent's next change.
    /// A cancelled reader stops waiting at once and takes nothing: nil.
    func nextResult<Element: Decodable>(as type: Element.Type) async -> Element? {
        while true {
            if Task.isCancelled { return nil }
            let waiter = locked {
                defer { nextWaiter += 1 }
                return nextWaiter
            }
            var outcome: ResultStore.Taken<Element>?
            await withTaskCancellationHandler {
                // The check and the registration happen under one lock hold: no change can
                // slip between them unseen.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    outcome = locked {
                        if Task.isCancelled { return .empty }
                        let taken = results.take(type)
                        if case .empty = taken, !phaseIsFinal {
                            waiters[waiter] = continuation
                            return nil
                        }
                        return taken
                    }
                    if outcome != nil { continuation.resume() }
                }
            } onCancel: {
                locked { waiters.removeValue(forKey: waiter) }?.resume()
            }
            if let outcome { return value(of: outcome) }
        }
    }

    private func value<Element>(of taken: ResultStore.Taken<Element>) -> Element? {
        switch taken {
        case .value(let value): return value
        case .empty: return nil
        case .corrupt:
            // Types were checked at asCompleted; a result that does not decode is corrupt.
            markFailed(
                PipelineError(
                    code: .transportFailed, pipeline: label,
                    reason: "a result could not be decoded as \(Element.self); the results stream is corrupt"))
            return nil
        }
    }

    /// Waits (briefly) for a stats snapshot newer than the one seen when the request was made.
    func waitForStats(after generation: Int, timeout: Duration) -> PipelineStats? {
        locked {
            let deadline = Date().addingTimeInterval(
                Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
            while statsGeneration <= generation {
                if case .finished(let report) = phase { return report.stats }
                guard condition.wait(until: deadline) else { break }
            }
            return latestStats
        }
    }

    var currentStatsGeneration: Int { locked { statsGeneration } }
}
