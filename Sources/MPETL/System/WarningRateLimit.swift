/// Keeps warnings about untrusted input to a few lines however much of it arrives.
///
/// A port scanner or a misconfigured peer can open a connection a millisecond, each with a
/// new identity, so "once per peer" is no limit at all (1,330 lines in 5 s were seen). Each
/// kind of warning gets its first line at once, then at most one line per `interval`, which
/// says how many it stands for; the counts in stats keep every one.
struct WarningRateLimit {
    /// How often one kind may log again. Long enough that a flood is a line every few
    /// seconds, short enough that a new problem is not hidden for long.
    let interval: Duration
    private var kinds: [String: Kind] = [:]

    private struct Kind {
        var lastLogged: ContinuousClock.Instant
        var suppressed = 0
    }

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// Whether a warning of `kind` may be logged now; when it may, how many of the kind were
    /// held back since the last line (to say so in this one).
    mutating func admit(_ kind: String, now: ContinuousClock.Instant = .now) -> Int? {
        guard var state = kinds[kind] else {
            kinds[kind] = Kind(lastLogged: now)
            return 0
        }
        guard now - state.lastLogged >= interval else {
            state.suppressed += 1
            kinds[kind] = state
            return nil
        }
        let held = state.suppressed
        kinds[kind] = Kind(lastLogged: now)
        return held
    }

    /// ` (N more like it in the last T)` for a line that stands for `held` others.
    func suffix(held: Int) -> String {
        held == 0
            ? ""
            : " (and \(held) more like it since the last such line; warnings of this kind are logged at most every "
                + "\(interval))"
    }
}

/// A ZeroMQ peer's routing identity for a log line: a few hex bytes, not a kilobyte of decimals.
enum PeerIdentity {
    static func describe(_ identity: [UInt8]) -> String {
        let shown = identity.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
        return "0x" + shown + (identity.count > 8 ? "…" : "")
    }
}
