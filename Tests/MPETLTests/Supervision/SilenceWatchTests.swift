import Testing

@testable import MPETL

/// The silence detector for remote peers, one event at a time, with a clock the test moves.
@Suite("Silence watch")
struct SilenceWatchTests {
    let start = ContinuousClock.now

    @Test func aPeerIsSilentOnlyPastTheLimit() {
        var watch = SilenceWatch<Int>(limit: .seconds(30), now: start)
        watch.heard(1, at: start)
        for second in stride(from: 0, through: 30, by: 0.5) {
            let now = start + .milliseconds(Int(second * 1000))
            watch.woke(at: now)
            #expect(watch.silent(at: now).isEmpty, "at \(second) s")
        }
        let late = start + .milliseconds(30_500)
        watch.woke(at: late)
        #expect(watch.silent(at: late) == [1])
    }

    @Test func hearingAPeerResetsItsSilence() {
        var watch = SilenceWatch<Int>(limit: .seconds(2), now: start)
        watch.heard(1, at: start)
        watch.woke(at: start + .milliseconds(1500))
        watch.heard(1, at: start + .milliseconds(1500))
        watch.woke(at: start + .milliseconds(3000))
        #expect(watch.silent(at: start + .milliseconds(3000)).isEmpty)
    }

    @Test func timeTheJudgeWasPausedIsNotThePeersSilence() {
        var watch = SilenceWatch<Int>(limit: .seconds(2), now: start)
        watch.heard(1, at: start)
        watch.woke(at: start + .milliseconds(500))
        // SIGSTOPped for 10 s: nothing could be heard meanwhile.
        let resumed = start + .milliseconds(10_500)
        watch.woke(at: resumed)
        #expect(watch.silent(at: resumed).isEmpty)
        // Silence after the pause still counts.
        var now = resumed
        for _ in 0..<5 {
            now += .milliseconds(500)
            watch.woke(at: now)
        }
        #expect(watch.silent(at: now) == [1])
    }

    @Test func aForgottenPeerIsNeverSilentAndTheLoopWakesToNoticePauses() {
        var watch = SilenceWatch<Int>(limit: .seconds(30), now: start)
        #expect(watch.nextDeadline == nil, "nothing to watch: no reason to wake")
        watch.heard(1, at: start)
        #expect(watch.nextDeadline == start + Liveness.heartbeatInterval, "wakes at least every heartbeat interval")
        watch.forget(1)
        watch.woke(at: start + .seconds(60))
        #expect(watch.silent(at: start + .seconds(60)).isEmpty)
    }
}

/// An agent's judgement of its coordinator.
@Suite("Coordinator watch")
struct CoordinatorWatchTests {
    @Test func anEmbeddedCoordinatorIsNeverJudged() {
        var watch = CoordinatorWatch(endpoint: "ipc://@x", embedded: true, limit: .milliseconds(1))
        #expect(watch.check(exited: false, now: .now + .seconds(3600)) == nil)
        #expect(watch.exitDescriptor == nil)
    }

    @Test func oneThatNeverAnsweredSaysSoAndAsksAboutKeysOverTCP() throws {
        var watch = CoordinatorWatch(endpoint: "tcp://10.0.0.1:5555", embedded: false, limit: .seconds(10))
        let now = ContinuousClock.now
        var at = now
        while at < now + .milliseconds(9500) {
            at += .milliseconds(500)
            #expect(watch.check(exited: false, now: at) == nil)
        }
        guard case .neverAnswered(let error) = watch.check(exited: false, now: at + .milliseconds(500)) else {
            Issue.record("expected neverAnswered")
            return
        }
        #expect(error.code == .startFailed)
        #expect(error.reason.contains("did not answer within 10.0 seconds (MPETL_COORDINATOR_TIMEOUT)"))
        #expect(error.reason.contains("MPETL_KEYS"))
        #expect(watch.isLost)
        #expect(watch.check(exited: false, now: at + .seconds(1)) == nil, "reported once")
    }

    @Test func aLocalCoordinatorIsWatchedThroughItsProcess() throws {
        var watch = CoordinatorWatch(endpoint: "ipc://@x", embedded: false, limit: .seconds(10))
        // This test process stands in for the coordinator: alive, and local.
        #expect(watch.welcomed(CoordinatorInfo(process: .current, hostTimeoutMilliseconds: 30_000)) == nil)
        #expect(watch.exitDescriptor != nil)
        #expect(watch.nextDeadline == nil, "silence no longer decides")
        #expect(watch.check(exited: false, now: .now + .seconds(3600)) == nil)
        guard case .exited(let error) = watch.check(exited: true) else {
            Issue.record("expected exited")
            return
        }
        #expect(error.code == .transportFailed)
        #expect(error.reason.contains("(pid \(ProcessIdentity.current.pid)) exited"))
    }

    @Test func aLocalCoordinatorAlreadyGoneIsLostAtOnce() {
        var watch = CoordinatorWatch(endpoint: "ipc://@x", embedded: false, limit: .seconds(10))
        // Pids wrap below /proc/sys/kernel/pid_max (at most 2^22): this one runs nowhere.
        let gone = ProcessIdentity(pid: Int32.max - 1, kernelScope: ProcessIdentity.current.kernelScope)
        guard case .exited = watch.welcomed(CoordinatorInfo(process: gone, hostTimeoutMilliseconds: 30_000)) else {
            Issue.record("expected exited")
            return
        }
    }

    @Test func aRemoteCoordinatorIsJudgedBySilence() {
        var watch = CoordinatorWatch(endpoint: "tcp://10.0.0.1:5555", embedded: false, limit: .seconds(2))
        let elsewhere = ProcessIdentity(pid: 1, kernelScope: "another-boot/pid:[1]/net:[1]")
        #expect(watch.welcomed(CoordinatorInfo(process: elsewhere, hostTimeoutMilliseconds: 30_000)) == nil)
        #expect(watch.exitDescriptor == nil)
        var at = ContinuousClock.now
        for _ in 0..<3 {
            at += .milliseconds(500)
            #expect(watch.check(exited: false, now: at) == nil)
        }
        guard case .silent(let error) = watch.check(exited: false, now: at + .milliseconds(1000)) else {
            Issue.record("expected silent")
            return
        }
        #expect(error.reason.contains("has not answered for 2.0 seconds"))
    }
}
