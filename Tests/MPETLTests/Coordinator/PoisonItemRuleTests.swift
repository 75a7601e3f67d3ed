import Glibc
import Testing

@testable import MPETL

/// How the coordinator traces worker deaths to items, driven event by event without processes.
@Suite("Poison items: the coordinator's rules")
struct PoisonItemRuleTests {
    typealias Rig = EndOfStreamTests
    static let segfault = ExitStatus.signaled(SIGSEGV)

    /// A running record of one 2-process stage whose policy is `skip` or not.
    static func record(skips: Bool) -> PipelineRecord {
        var registration = Rig.registration(processes: [2])
        registration.stages[0].skipsFailedItems = skips ? true : nil
        var record = PipelineRecord(registration: registration, driver: Rig.driver)
        for worker in 0..<2 {
            record.spawned(stage: 0, worker: worker, pid: Int32(100 + worker), host: "h")
            _ = record.hello(
                Rig.address(0, worker), identity: Rig.identity(0, worker), pid: Int32(100 + worker),
                host: "h", fingerprint: "fp", endpoints: ["ipc://@w\(worker)"])
        }
        for worker in 0..<2 { _ = record.workerReady(Rig.address(0, worker)) }
        return record
    }

    static func suspectLists(_ actions: [CoordinatorAction], to identity: [UInt8]) -> [[SuspectItem]] {
        actions.compactMap { action in
            guard case .send(let to, .suspects(let list)) = action, to == identity else { return nil }
            return list
        }
    }

    @Test func aFirstDeathMakesTheItemASuspectTheOtherWorkersHearOfBeforeTheReplay() {
        var record = Self.record(skips: false)
        let actions = record.exited(stage: 0, worker: 0, status: Self.segfault, holding: [HeldItem(id: 42)])
        #expect(record.phase == .running)
        #expect(
            Self.suspectLists(actions, to: Rig.identity(0, 1)) == [[SuspectItem(id: 42, isolate: true)]],
            "it crashed its worker: a stage running items concurrently runs it alone")
        let toSibling = actions.compactMap { action -> String? in
            guard case .send(_, let message) = action else { return nil }
            return String(describing: message).prefix { $0 != "(" }.description
        }
        #expect(
            toSibling.firstIndex(of: "suspects")! < toSibling.firstIndex(of: "consumerLost")!,
            "the suspects go out before the producers are told to replay: \(toSibling)")
    }

    @Test func deathsBesideOtherItemsOnlySuspectAndTwoDeathsAloneQuarantineOnlyThatItem() throws {
        var record = Self.record(skips: true)
        var nextWorker = 2
        /// Worker `worker` dies holding `held`; a replacement joins. Returns the suspects the
        /// replacement is told.
        func die(_ worker: Int, holding held: [UInt64]) throws -> [SuspectItem] {
            _ = record.exited(stage: 0, worker: worker, status: Self.segfault, holding: held.map { HeldItem(id: $0) })
            #expect(record.phase == .running)
            let replacement = nextWorker
            nextWorker += 1
            record.spawned(stage: 0, worker: replacement, pid: Int32(100 + replacement), host: "h")
            let actions = record.hello(
                Rig.address(0, replacement), identity: Rig.identity(0, replacement), pid: Int32(100 + replacement),
                host: "h", fingerprint: "fp", endpoints: ["ipc://@w\(replacement)"])
            _ = record.workerReady(Rig.address(0, replacement))
            return try #require(Self.suspectLists(actions, to: Rig.identity(0, replacement)).first)
        }
        var list = try die(0, holding: [41, 42, 43])
        #expect(Set(list.map(\.id)) == [41, 42, 43] && list.allSatisfy { $0.isolate == true && $0.quarantine == nil })
        // A replay that reached a worker before it heard of the suspects: still beside others.
        list = try die(1, holding: [42, 43])
        #expect(list.allSatisfy { $0.quarantine == nil }, "no death alone yet: \(list)")
        list = try die(2, holding: [42])
        #expect(list.allSatisfy { $0.quarantine == nil }, "one death alone is not yet poison: \(list)")
        list = try die(3, holding: [42])
        #expect(list.filter { $0.quarantine != nil }.map(\.id) == [42], "only the item that died alone: \(list)")
    }

    @Test func aSecondDeathOnTheSameItemFailsAFailingStageNamingTheItem() {
        var record = Self.record(skips: false)
        _ = record.exited(stage: 0, worker: 0, status: Self.segfault, holding: [HeldItem(id: 42)])
        _ = record.exited(
            stage: 0, worker: 1, status: .signaled(SIGABRT), holding: [HeldItem(id: 42, item: "\"row 7\"")])
        guard case .failing(let failure) = record.phase else {
            Issue.record("expected a failure, got \(record.phase)")
            return
        }
        #expect(failure.code == .workerDied)
        #expect(failure.item == "\"row 7\"")
        #expect(failure.workersKilled == 2)
        #expect(failure.reason.contains("poison item"), "\(failure.reason)")
        #expect(
            failure.reason.contains("signal 11") && failure.reason.contains("signal 6"),
            "both deaths are named: \(failure.reason)")
    }

    @Test func aSecondDeathOnTheSameItemQuarantinesItInASkippingStage() {
        var record = Self.record(skips: true)
        _ = record.exited(stage: 0, worker: 0, status: Self.segfault, holding: [HeldItem(id: 42)])
        let actions = record.exited(stage: 0, worker: 1, status: Self.segfault, holding: [HeldItem(id: 42, item: "7")])
        #expect(record.phase == .running, "the stage goes on")
        let quarantined = record.poison.suspects(of: 0)
        #expect(quarantined.count == 1)
        #expect(quarantined.first?.quarantine?.contains("quarantined: it killed 2 workers") == true, "\(quarantined)")
        // Both workers are gone; the replacements learn the list when they join.
        #expect(actions.contains { if case .spawn = $0 { true } else { false } })
    }

    @Test func deathsOnDifferentItemsOrFromOutsideMakeNoPoison() {
        var record = Self.record(skips: false)
        _ = record.exited(stage: 0, worker: 0, status: Self.segfault, holding: [HeldItem(id: 1)])
        _ = record.exited(stage: 0, worker: 1, status: Self.segfault, holding: [HeldItem(id: 2)])
        #expect(record.phase == .running, "two items, one death each: not poison")
        var killed = Self.record(skips: false)
        _ = killed.exited(stage: 0, worker: 0, status: .signaled(SIGKILL), holding: [HeldItem(id: 1)])
        _ = killed.exited(stage: 0, worker: 1, status: .signaled(SIGKILL), holding: [HeldItem(id: 1)])
        #expect(killed.phase == .running, "SIGKILL comes from outside (a person, the OOM killer): not counted")
        #expect(killed.poison.suspects(of: 0).allSatisfy { $0.quarantine == nil })
    }

    @Test func aReplacementLearnsTheSuspectsWhenItJoins() {
        var record = Self.record(skips: false)
        _ = record.exited(stage: 0, worker: 0, status: Self.segfault, holding: [HeldItem(id: 42)])
        record.spawned(stage: 0, worker: 2, pid: 300, host: "h")
        let actions = record.hello(
            Rig.address(0, 2), identity: [9], pid: 300, host: "h", fingerprint: "fp", endpoints: ["ipc://@w2"])
        #expect(Self.suspectLists(actions, to: [9]) == [[SuspectItem(id: 42, isolate: true)]])
    }
}
