import Testing

@testable import MPETL

/// A flood of untrusted input becomes a few log lines that say how many they stand for.
@Suite("Warning rate limit")
struct WarningRateLimitTests {
    @Test func theFirstOfAKindIsLoggedAndTheRestWithinTheIntervalAreCounted() {
        var limit = WarningRateLimit(interval: .seconds(10))
        let start = ContinuousClock.now
        #expect(limit.admit("malformed", now: start) == 0)
        for step in 1...1_330 {
            #expect(limit.admit("malformed", now: start + .milliseconds(step)) == nil)
        }
        #expect(
            limit.admit("malformed", now: start + .seconds(10)) == 1_330, "the next line says how many it stands for")
        #expect(limit.admit("malformed", now: start + .seconds(11)) == nil)
    }

    @Test func kindsAreLimitedApart() {
        var limit = WarningRateLimit(interval: .seconds(10))
        let now = ContinuousClock.now
        #expect(limit.admit("malformed", now: now) == 0)
        #expect(limit.admit("refused", now: now) == 0)
        #expect(limit.admit("malformed", now: now) == nil)
    }

    @Test func theSuffixSaysWhatWasHeldBack() {
        let limit = WarningRateLimit(interval: .seconds(10))
        #expect(limit.suffix(held: 0) == "")
        #expect(limit.suffix(held: 3).contains("and 3 more like it"))
    }

    @Test func peerIdentitiesAreShortHex() {
        #expect(PeerIdentity.describe([0, 0x80, 0, 0x41, 0xa7]) == "0x00800041a7")
        #expect(PeerIdentity.describe(Array(repeating: 0xff, count: 1_000)) == "0xffffffffffffffff…")
    }
}
