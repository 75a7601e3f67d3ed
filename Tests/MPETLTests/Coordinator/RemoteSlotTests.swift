import Testing
import ZeroMQ

@testable import MPETL

/// Worker hosts' slots in the coordinator's bookkeeping: endpoint choice per host, refusals
/// that leave the pipeline running, and hosts that go silent.
@Suite("Worker host slots")
struct RemoteSlotTests {
    typealias Fixture = EndOfStreamTests
    static let agent: [UInt8] = [0xA]

    @Test func producersUseIPCOnTheirOwnHostAndTCPElsewhere() {
        let consumers: [(host: String?, endpoints: [Endpoint])] = [
            ("a", ["ipc:///tmp/a", "tcp://10.0.0.1:1"]),
            ("b", ["ipc:///tmp/b", "tcp://10.0.0.2:2"]),
            ("c", ["ipc:///tmp/c"]),
        ]
        #expect(
            PipelineRecord.reachable(consumers, from: "a") == ["ipc:///tmp/a", "tcp://10.0.0.2:2"],
            "a worker only reachable over ipc is left out for other hosts")
        #expect(
            PipelineRecord.reachable(consumers, from: "c") == ["tcp://10.0.0.1:1", "tcp://10.0.0.2:2", "ipc:///tmp/c"])
    }

    /// A record for stages [1, 1] plus one worker-host slot on stage 1, before any hello; the
    /// driver's collector listens on TCP too.
    static func launchingWithRemoteSlot(collectorEndpoints: [Endpoint] = ["ipc:///tmp/results", "tcp://10.0.0.1:9"])
        -> (PipelineRecord, remote: Int)
    {
        let registration = Fixture.registration(processes: [1, 1], collectorEndpoints: collectorEndpoints)
        var record = PipelineRecord(registration: registration, driver: Fixture.driver)
        record.spawned(stage: 0, worker: 0, pid: 100, host: "h")
        record.spawned(stage: 1, worker: 0, pid: 110, host: "h")
        let remote = record.addRemoteSlot(stage: 1, agent: agent, host: "far")!
        record.spawned(stage: 1, worker: remote, pid: 7, host: "far")
        return (record, remote)
    }

    @Test func aRefusedWorkerHostSlotIsDroppedAndThePipelineGoesOn() {
        var (record, remote) = Self.launchingWithRemoteSlot()
        #expect(remote == 1)
        var actions = record.hello(
            Fixture.address(1, remote), identity: [9], pid: 7, host: "far",
            fingerprint: "another build", endpoints: ["ipc:///far", "tcp://10.0.0.9:1"])
        #expect(Fixture.sent(actions, to: [9]) == ["refuse"])
        #expect(Fixture.sent(actions, to: Self.agent) == ["hostRefused"])
        #expect(record.phase == .launching, "the pipeline does not fail")
        actions = record.hello(
            Fixture.address(0, 0), identity: Fixture.identity(0, 0), pid: 100, host: "h",
            fingerprint: "fp", endpoints: ["ipc:///s0"])
        actions += record.hello(
            Fixture.address(1, 0), identity: Fixture.identity(1, 0), pid: 110, host: "h",
            fingerprint: "fp", endpoints: ["ipc:///s1"])
        let wiring = actions.compactMap { action -> [Endpoint]? in
            guard case .send(Fixture.identity(0, 0), .assign(let consumers)) = action else { return nil }
            return consumers.map(\.endpoint)
        }
        #expect(wiring == [["ipc:///s1"]], "stage 0 is not wired to the refused worker")
        actions = record.workerReady(Fixture.address(0, 0)) + record.workerReady(Fixture.address(1, 0))
        #expect(Fixture.sent(actions, to: Fixture.driver) == ["ready"])
        actions = record.exited(stage: 1, worker: remote, status: .exited(2))
        #expect(actions.isEmpty, "the refused worker's exit is expected")
        #expect(record.stats().stages[1].workersPerHost == ["h": 1])
    }

    @Test func aWorkerHostSlotThatCannotReachTheNextStageIsDroppedRatherThanLosingItems() {
        var (record, remote) = Self.launchingWithRemoteSlot(collectorEndpoints: ["ipc:///tmp/results"])
        _ = record.hello(
            Fixture.address(0, 0), identity: Fixture.identity(0, 0), pid: 100, host: "h", fingerprint: "fp",
            endpoints: ["ipc:///s0"])
        _ = record.hello(
            Fixture.address(1, 0), identity: Fixture.identity(1, 0), pid: 110, host: "h", fingerprint: "fp",
            endpoints: ["ipc:///s1"])
        let actions = record.hello(
            Fixture.address(1, remote), identity: [9], pid: 7, host: "far", fingerprint: "fp",
            endpoints: ["ipc:///far", "tcp://10.0.0.9:1"])
        #expect(Fixture.sent(actions, to: [9]) == ["refuse"])
        #expect(record.phase == .connecting, "the others are wired")
        #expect(record.failure == nil)
    }

    @Test func aSilentWorkerHostsWorkersAreReplayedAndReplacedOnTheDriversHost() {
        var (record, remote) = Self.launchingWithRemoteSlot()
        _ = record.hello(
            Fixture.address(0, 0), identity: Fixture.identity(0, 0), pid: 100, host: "h", fingerprint: "fp",
            endpoints: ["ipc:///s0"])
        _ = record.hello(
            Fixture.address(1, 0), identity: Fixture.identity(1, 0), pid: 110, host: "h", fingerprint: "fp",
            endpoints: ["ipc:///s1"])
        _ = record.hello(
            Fixture.address(1, remote), identity: [9], pid: 7, host: "far", fingerprint: "fp",
            endpoints: ["ipc:///far", "tcp://10.0.0.9:1"])
        for address in [Fixture.address(0, 0), Fixture.address(1, 0), Fixture.address(1, remote)] {
            _ = record.workerReady(address)
        }
        #expect(record.phase == .running)
        let actions = record.exited(stage: 1, worker: remote, status: .lost)
        #expect(record.failure == nil)
        #expect(Fixture.sent(actions, to: Fixture.identity(0, 0)) == ["consumerLost"])
        let replacements = actions.compactMap { action -> WorkerAddress? in
            guard case .spawn(Fixture.driver, let request) = action else { return nil }
            return request.address
        }
        #expect(replacements == [Fixture.address(1, remote + 1)], "the driver starts the replacement")
    }
}
