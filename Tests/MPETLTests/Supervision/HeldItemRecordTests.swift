import Glibc
import Testing

@testable import MPETL

/// The page a worker records its item in, as an agent and a worker each map it.
@Suite("Held item record")
struct HeldItemRecordTests {
    /// The agent's record and a worker's view of the same memory (through a copy of the
    /// descriptor, as a spawned worker gets it).
    static func pair() throws -> (agent: HeldItemRecord, worker: HeldItemRecord) {
        let agent = try HeldItemRecord()
        let copy = dup(agent.descriptor!)
        #expect(copy >= 0)
        let worker = try HeldItemRecord(mapping: copy)
        agent.closeDescriptor()
        return (agent, worker)
    }

    @Test func theAgentSeesTheItemTheWorkerHoldsAndNothingBetweenItems() throws {
        let (agent, worker) = try Self.pair()
        #expect(agent.held.isEmpty)
        worker.hold(0xFEED)
        #expect(agent.held == [HeldItem(id: 0xFEED)])
        worker.release()
        #expect(agent.held.isEmpty)
        worker.hold(7, describedAs: "\"row 7\"")
        #expect(agent.held == [HeldItem(id: 7, item: "\"row 7\"")])
        worker.hold(8)
        #expect(agent.held == [HeldItem(id: 8)], "a plain hold clears the previous description")
    }

    @Test func aLongDescriptionIsCutToThePage() throws {
        let (agent, worker) = try Self.pair()
        worker.hold(1, describedAs: String(repeating: "x", count: 10_000))
        let held = try #require(agent.held.first)
        #expect(held.item?.utf8.count == HeldItemRecord.descriptionCapacity, "cut to the slot")
    }

    @Test func theQuarantineRecordsItemsAndRefusesQuarantinedOnes() throws {
        let (agent, worker) = try Self.pair()
        let quarantine = ItemQuarantine(record: worker)
        var described = 0
        #expect(
            quarantine.admit(
                5,
                describe: {
                    described += 1
                    return "5"
                }) == nil)
        #expect(agent.held == [HeldItem(id: 5)] && described == 0, "no description while nothing is suspected")
        quarantine.update([SuspectItem(id: 5), SuspectItem(id: 6, quarantine: "quarantined: it killed 2 workers")])
        #expect(
            quarantine.admit(
                5,
                describe: {
                    described += 1
                    return "5"
                }) == nil)
        #expect(agent.held == [HeldItem(id: 5, item: "5")] && described == 1, "a suspect is described before it runs")
        quarantine.release()
        #expect(quarantine.admit(6, describe: { "6" }) == "quarantined: it killed 2 workers")
        #expect(agent.held.isEmpty, "a quarantined item is never held")
    }

    @Test func aStageRunningItemsConcurrentlyHoldsOneSlotPerItemAndTheAgentSeesEach() throws {
        let (agent, worker) = try Self.pair()
        let quarantine = ItemQuarantine(record: worker, concurrency: 64)
        for slot in 0..<64 { #expect(quarantine.admit(UInt64(1_000 + slot), slot: slot, describe: { "" }) == nil) }
        #expect(Set(agent.held.map(\.id)) == Set((0..<64).map { UInt64(1_000 + $0) }), "every item in flight")
        quarantine.release(slot: 5)
        quarantine.release(slot: 63)
        #expect(agent.held.count == 62 && !agent.held.contains { $0.id == 1_005 || $0.id == 1_063 })
        let counts = agent.slots.map(\.count)
        #expect(Set(counts).count == counts.count, "each hold has its own count, so a new item in a slot shows")
    }

    @Test func aSuspectThatCrashedRunsAloneAndOnlyThat() {
        let quarantine = ItemQuarantine(record: nil, concurrency: 8)
        #expect(!quarantine.isolates(5), "nothing is suspected yet")
        quarantine.update([SuspectItem(id: 5, isolate: true), SuspectItem(id: 6)])
        #expect(quarantine.isolates(5))
        #expect(!quarantine.isolates(6), "a suspect that never ended a worker by itself runs beside others")
        #expect(!quarantine.isolates(7))
    }

    @Test func theAssignmentCarriesTheDescriptorAndStillReadsWithout() {
        let assignment = WorkerAssignment(
            coordinatorEndpoint: "ipc://@c", pipelineID: "p", ordinal: 1, stage: 2, worker: 3,
            runDirectory: "@r", parentPID: 9, heldItemDescriptor: 3)
        #expect(WorkerAssignment(environmentValue: assignment.environmentValue) == assignment)
        var without = assignment
        without.heldItemDescriptor = nil
        #expect(WorkerAssignment(environmentValue: without.environmentValue) == without)
        #expect(WorkerAssignment(environmentValue: assignment.environmentValue + "x") == nil)
    }
}
