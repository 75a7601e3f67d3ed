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
        #expect(agent.held == nil)
        worker.hold(0xFEED)
        #expect(agent.held == HeldItem(id: 0xFEED))
        worker.release()
        #expect(agent.held == nil)
        worker.hold(7, describedAs: "\"row 7\"")
        #expect(agent.held == HeldItem(id: 7, item: "\"row 7\""))
        worker.hold(8)
        #expect(agent.held == HeldItem(id: 8), "a plain hold clears the previous description")
    }

    @Test func aLongDescriptionIsCutToThePage() throws {
        let (agent, worker) = try Self.pair()
        worker.hold(1, describedAs: String(repeating: "x", count: 10_000))
        let held = try #require(agent.held)
        #expect(held.item?.count ?? 0 > 4_000 && held.item?.count ?? 0 < HeldItemRecord.size)
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
        #expect(agent.held == HeldItem(id: 5) && described == 0, "no description while nothing is suspected")
        quarantine.update([SuspectItem(id: 5), SuspectItem(id: 6, quarantine: "quarantined: it killed 2 workers")])
        #expect(
            quarantine.admit(
                5,
                describe: {
                    described += 1
                    return "5"
                }) == nil)
        #expect(agent.held == HeldItem(id: 5, item: "5") && described == 1, "a suspect is described before it runs")
        quarantine.release()
        #expect(quarantine.admit(6, describe: { "6" }) == "quarantined: it killed 2 workers")
        #expect(agent.held == nil, "a quarantined item is never held")
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
