/// Which remote peers have been silent too long, counting only time this process was awake
/// to hear them.
///
/// A judge that was itself paused (SIGSTOP, Ctrl-Z, a starved thread on a saturated machine)
/// heard nothing meanwhile, through no fault of its peers: when its loop wakes later than it
/// asked to, the extra time is credited to every peer instead of counting as their silence.
/// A pure value: the loops that own one feed it times and act on what it returns.
struct SilenceWatch<Peer: Hashable & Sendable>: Sendable {
    let limit: Duration
    /// The longest a loop that keeps its deadlines sleeps between two wakes.
    let wakeInterval: Duration
    private(set) var lastHeard: [Peer: ContinuousClock.Instant] = [:]
    private var lastWake: ContinuousClock.Instant

    init(limit: Duration, wakeInterval: Duration = Liveness.heartbeatInterval, now: ContinuousClock.Instant = .now) {
        self.limit = limit
        self.wakeInterval = wakeInterval
        lastWake = now
    }

    mutating func heard(_ peer: Peer, at now: ContinuousClock.Instant = .now) {
        lastHeard[peer] = now
    }

    mutating func forget(_ peer: Peer) {
        lastHeard[peer] = nil
    }

    /// Call on every wake, before ``silent(at:)``. A wake later than the loop's deadlines
    /// allow (plus a wake interval of slack for scheduling) means this process did not run.
    mutating func woke(at now: ContinuousClock.Instant = .now) {
        let gap = now - lastWake
        lastWake = now
        let paused = gap - wakeInterval * 2
        guard paused > .zero else { return }
        for peer in lastHeard.keys { lastHeard[peer]! += paused }
    }

    /// The peers silent for longer than ``limit``.
    func silent(at now: ContinuousClock.Instant = .now) -> [Peer] {
        lastHeard.filter { now - $0.value > limit }.map(\.key)
    }

    /// When the next peer would turn silent, or nil when none is watched; the owner's loop
    /// also wakes at least every ``wakeInterval`` while any is, so pauses are noticed.
    var nextDeadline: ContinuousClock.Instant? {
        guard let oldest = lastHeard.values.min() else { return nil }
        return min(oldest + limit, lastWake + wakeInterval)
    }
}
