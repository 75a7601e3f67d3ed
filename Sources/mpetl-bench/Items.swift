import Foundation

/// How often an item carries the time it was fed, for latency: one in `every`, and the last.
enum Sampling {
    static let every = 1_024

    static func isSampled(_ index: Int, of count: Int) -> Bool {
        index % every == 0 || index == count - 1
    }
}

/// When a sampled item was fed and when the last stage finished it (shared-clock nanoseconds).
struct Sample: Codable, Sendable {
    var fedAt: UInt64
    var doneAt: UInt64

    init?(fedAt: UInt64) {
        guard fedAt != 0 else { return nil }
        self.fedAt = fedAt
        doneAt = SharedClock.nanoseconds
    }

    var milliseconds: Double { Double(doneAt &- fedAt) / 1e6 }
}

/// W1's items are the strings themselves; a sampled one ends in `@` and its feed time.
enum Line {
    static func make(_ index: Int, of count: Int) -> String {
        Sampling.isSampled(index, of: count) ? "line \(index)@\(SharedClock.nanoseconds)" : "line \(index)"
    }

    /// The sample a sampled line carries; nil for the others.
    static func sample(of line: String) -> Sample? {
        // This runs for every item of W1: unsampled lines ("line N", N < 10^15) are short,
        // so only sampled ones are scanned, and as bytes.
        let bytes = line.utf8
        guard bytes.count > 20, let at = bytes.lastIndex(of: UInt8(ascii: "@")),
            let fed = UInt64(Substring(bytes[bytes.index(after: at)...]))
        else { return nil }
        return Sample(fedAt: fed)
    }
}

/// W2's and W3's items: a number, and the feed time when sampled (0 otherwise).
struct Probe: Codable, Sendable {
    var value: Int
    var fedAt: UInt64

    init(_ index: Int, of count: Int) {
        value = index
        fedAt = Sampling.isSampled(index, of: count) ? SharedClock.nanoseconds : 0
    }

    var sample: Sample? { Sample(fedAt: fedAt) }
}

/// W4's items: 4 KiB of bytes.
struct Blob: Codable, Sendable {
    static let size = 4_096
    var payload: Data
    var fedAt: UInt64

    init(_ index: Int, of count: Int) {
        payload = Data(repeating: UInt8(truncatingIfNeeded: index), count: Self.size)
        fedAt = Sampling.isSampled(index, of: count) ? SharedClock.nanoseconds : 0
    }

    var sample: Sample? { Sample(fedAt: fedAt) }
}
