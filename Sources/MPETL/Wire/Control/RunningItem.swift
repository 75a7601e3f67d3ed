/// An item a worker has been running for a while, as its agent sees it in the worker's
/// ``HeldItemRecord``.
struct RunningItem: Codable, Equatable, Sendable {
    var address: WorkerAddress
    var pid: Int32
    var item: HeldItem
    /// How long it has been running, in seconds (at least this long when not stamped).
    var seconds: Double
}

/// When an agent tells the coordinator about its long-running items: when the set changes
/// (one starts running long, or ends), and once a second while any runs, so the times stay
/// current without a message per loop turn.
struct RunningItemReports {
    private var lastSent: [WorkerAddress: UInt64] = [:]
    private var lastSentAt: UInt64 = 0
    static let refreshNanoseconds: UInt64 = 1_000_000_000
    /// Whether the last report named any item (an empty one must follow when they end).
    var hasSent: Bool { !lastSent.isEmpty }

    /// The report to send now for `long` at `now` (``DispatchTime`` nanoseconds), if one is due.
    mutating func due(_ long: [RunningItem], at now: UInt64) -> [RunningItem]? {
        let current = Dictionary(long.map { ($0.address, $0.item.id) }, uniquingKeysWith: { $1 })
        guard current != lastSent || (!long.isEmpty && now &- lastSentAt >= Self.refreshNanoseconds) else { return nil }
        lastSent = current
        lastSentAt = now
        return long
    }
}
