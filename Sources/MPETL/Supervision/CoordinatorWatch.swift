import ZeroMQ

/// An agent's view of its coordinator (see ``Liveness``): in its own process, never judged; on
/// this host, watched through a pidfd, so its death is known at once and its slowness never
/// counts; elsewhere, judged by its silence.
struct CoordinatorWatch: Sendable {
    /// How the coordinator was found gone, with the error that says so.
    enum Loss {
        /// It exited (on this host: a kernel fact), or fenced this agent: for good.
        case exited(PipelineError)
        /// It never answered: nothing listens there, or another key.
        case neverAnswered(PipelineError)
        /// It answered once, then went silent past the limit: a cut link, or its host gone.
        case silent(PipelineError)

        var error: PipelineError {
            switch self {
            case .exited(let error), .neverAnswered(let error), .silent(let error): error
            }
        }
    }

    private enum State {
        case embedded
        /// No `welcome` yet: silence is all there is to go by.
        case awaitingWelcome
        case local(exitDescriptor: Int32, pid: Int32)
        case remote
        case lost
    }

    let endpoint: Endpoint
    /// What sets ``limit``, for the error that reports it.
    let setting: String
    private var state: State
    private var silence: SilenceWatch<Int>
    /// Before `welcome`, for an `ipc://` coordinator: whether its socket was seen listening.
    /// A listening socket is a kernel fact that its owner lives (stopped, perhaps, but alive),
    /// and its disappearance that the owner is gone.
    private var seenListening = false

    /// - Parameters:
    ///   - embedded: the coordinator runs in this process: it cannot die without it.
    ///   - limit: how long a remote (or not yet answering) coordinator may be silent.
    ///   - setting: the variable or option that sets `limit`.
    init(
        endpoint: Endpoint, embedded: Bool, limit: Duration,
        setting: String = EnvironmentVariable.coordinatorTimeout.name
    ) {
        self.endpoint = endpoint
        self.setting = setting
        state = embedded ? .embedded : .awaitingWelcome
        silence = SilenceWatch(limit: limit)
        if !embedded { silence.heard(0) }
    }

    var limit: Duration { silence.limit }

    /// The pidfd to poll: readable once a local coordinator exited.
    var exitDescriptor: Int32? {
        if case .local(let descriptor, _) = state { return descriptor }
        return nil
    }

    /// When silence would next decide something.
    var nextDeadline: ContinuousClock.Instant? { silence.nextDeadline }

    var isLost: Bool {
        if case .lost = state { return true }
        return false
    }

    /// Any message from the coordinator.
    mutating func heard() {
        if silence.lastHeard[0] != nil { silence.heard(0) }
    }

    /// The coordinator said who it is. Returns the loss when it is local and already gone.
    mutating func welcomed(_ info: CoordinatorInfo) -> Loss? {
        guard case .awaitingWelcome = state else { return nil }
        guard info.process.isLocal else {
            state = .remote
            return nil
        }
        silence.forget(0)
        do {
            state = .local(exitDescriptor: try Syscalls.exitDescriptor(for: info.process.pid), pid: info.process.pid)
            return nil
        } catch {
            return lose(exited: info.process.pid)
        }
    }

    /// Checks on every wake: the failure to report when the coordinator is gone, once.
    /// - Parameter exited: whether ``exitDescriptor`` was readable.
    mutating func check(exited: Bool, now: ContinuousClock.Instant = .now) -> Loss? {
        switch state {
        case .embedded, .lost:
            return nil
        case .local(_, let pid):
            return exited ? lose(exited: pid) : nil
        case .awaitingWelcome where endpoint.isIPC:
            silence.woke(at: now)
            if endpoint.isListeningHere {
                seenListening = true
                silence.heard(0, at: now)
                return nil
            }
            if seenListening {
                close()
                return .exited(
                    PipelineError(
                        code: .transportFailed, pipeline: "driver",
                        reason:
                            "the coordinator at \(endpoint) stopped listening before it answered: it exited; run the "
                            + "program again once a coordinator runs there"
                    ))
            }
            return timedOut(at: now)
        case .awaitingWelcome, .remote:
            silence.woke(at: now)
            return timedOut(at: now)
        }
    }

    /// The loss to report once silence has passed the limit, if it has.
    private mutating func timedOut(at now: ContinuousClock.Instant) -> Loss? {
        guard !silence.silent(at: now).isEmpty else { return nil }
        let answered: Bool
        if case .remote = state { answered = true } else { answered = false }
        close()
        if answered {
            return .silent(
                PipelineError(
                    code: .transportFailed, pipeline: "driver",
                    reason:
                        "the coordinator at \(endpoint) has not answered for \(limit) (\(setting)): it stopped, or the "
                        + "network to it is down"
                ))
        }
        // Over TCP a coordinator that wants another key (or one) looks exactly like none.
        let keys =
            ClusterSecurity.isEnabled || !endpoint.isLocal
            ? ", and does \(EnvironmentVariable.keys.name) (--keys) name the cluster's key file" : ""
        return .neverAnswered(
            PipelineError(
                code: .startFailed, pipeline: "driver",
                reason:
                    "the coordinator at \(endpoint) did not answer within \(limit) (\(setting)): is it running "
                    + "there\(keys)?"
            ))
    }

    private mutating func lose(exited pid: Int32) -> Loss {
        close()
        return .exited(
            PipelineError(
                code: .transportFailed, pipeline: "driver",
                reason:
                    "the coordinator at \(endpoint) (pid \(pid)) exited; nothing it ran can finish: run the program "
                    + "again once a coordinator runs there"
            ))
    }

    /// Stops watching (the coordinator is gone).
    private mutating func close() {
        if case .local(let descriptor, _) = state { Syscalls.closeDescriptor(descriptor) }
        state = .lost
        silence.forget(0)
    }
}
