import Foundation
import MessagePack
import Testing
import ZeroMQ

@testable import MPETL

/// A program that is not an MPETL process feeds a named pipeline by the protocol alone (as
/// docs/protocol.md describes it for other languages): resolve, push batches, close.
@Suite("External senders", .serialized)
struct ExternalSenderTests {
    @Test func aForeignProgramFeedsANamedPipelineByTheProtocolAlone() throws {
        let endpoint = "ipc://\(NSTemporaryDirectory())mpetl-external-\(getpid()).sock"
        defer { try? FileManager.default.removeItem(atPath: String(endpoint.dropFirst("ipc://".count))) }
        let server = try Programs.launch("mpetl-coordinator", ["serve", "--listen", endpoint])
        defer { kill(server.pid, SIGKILL) }
        let receiver = try Programs.launch(
            "mpetl-test-programs", ["inbox", "--items", "500"], environment: ["MPETL_COORDINATOR": endpoint])
        defer { kill(receiver.pid, SIGKILL) }
        #expect(waitUntil(timeout: .seconds(30)) { receiver.outputSoFar.contains("inbox ready") })

        // Everything below uses only ZeroMQ and MessagePack, as a program in another language would.
        let context = try Context()
        let control = try Socket(context, type: .dealer)
        try control.setLinger(milliseconds: 0)
        try control.setReceiveTimeout(milliseconds: 10_000)
        try control.connect(endpoint)
        let encoder = MessagePackEncoder()
        let decoder = MessagePackDecoder()
        func receive() throws -> ControlMessage {
            let frame = Message()
            try control.receive(into: frame)
            return try frame.withUnsafeBytes { try decoder.decode(ControlMessage.self, from: Array($0)) }
        }
        try control.send(try encoder.encode(ControlMessage.resolve(name: "inbox", from: .external)))
        guard case .resolved(let route) = try receive() else {
            Issue.record("no route")
            return
        }
        #expect(route.input.typeName == "Int")
        let push = try Socket(context, type: .push)
        try push.setLinger(milliseconds: -1)
        for target in route.endpoints where target.isIPC { try push.connect(target) }
        var sequence: UInt64 = 0
        for first in stride(from: 0, to: 500, by: 50) {
            sequence += 1
            var batch = [UInt8](repeating: 0, count: BatchHeader.size)
            BatchHeader(pipeline: route.ordinal, stage: 0, producer: route.producer, sequence: sequence, itemCount: 50)
                .write(into: &batch)
            for value in first..<(first + 50) { batch += try encoder.encode(value) }
            // Then one 8-byte id per item, unique within the link: here the value itself.
            for value in first..<(first + 50) { withUnsafeBytes(of: UInt64(value).littleEndian) { batch += $0 } }
            try push.send(batch)
        }
        try control.send(try encoder.encode(ControlMessage.sendsClosed(producer: route.producer, batches: sequence)))
        var acknowledged = false
        while !acknowledged {
            if case .linkAcknowledged(route.producer) = try receive() { acknowledged = true }
        }
        let received = try receiver.finish(within: .seconds(60))
        #expect(received.status == 0, "stderr: \(received.standardError)")
        let result = try received.json()
        #expect(result["count"] as? Int == 500, "\(result)")
        #expect(result["missing"] as? Int == 0)
        #expect(result["extra"] as? Int == 0)
    }
}
