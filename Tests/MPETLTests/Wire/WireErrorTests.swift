import Testing

@testable import MPETL
@testable import MessagePack

/// MPETL's users see the codec's errors as `WireError`, the type they caught before the codec
/// became a module of its own: same code, offset, coding path and description.
@Suite("Wire errors")
struct WireErrorTests {
    final class Discard: BatchTransport {
        func send(_ batch: inout [UInt8], inputs: ClosedRange<Int>) throws {}
    }

    struct TwoValues: Encodable {
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(1)
            try container.encode(2)
        }
    }

    struct Refusal: Error {}

    struct Refuses: Encodable {
        func encode(to encoder: any Encoder) throws { throw Refusal() }
    }

    @Test func anItemTheCodecRefusesThrowsAWireErrorLikeTheCodecs() throws {
        let sender = BatchSender(transport: Discard(), pipeline: 0, stage: 1, producer: 0, chunkSize: 10)
        let codec = try #require(throws: MessagePackError.self) {
            _ = try MessagePackEncoder().encode([TwoValues()])
        }
        let wire = try #require(throws: WireError.self) { try sender.append([TwoValues()]) }
        #expect(wire.code == .invalidCoderUsage)
        #expect(wire.offset == codec.offset)
        #expect(wire.codingPath == codec.codingPath && wire.codingPath == ["Index 0"])
        #expect(wire.description == codec.description)
        #expect(String(describing: type(of: wire)) == "WireError")
        // The sender still works after a refused item.
        try sender.append("next")
        #expect(sender.pendingItems == 1)
    }

    @Test func errorsFromEncodeToPassThroughUnchanged() {
        let sender = BatchSender(transport: Discard(), pipeline: 0, stage: 1, producer: 0, chunkSize: 10)
        #expect(throws: Refusal.self) { try sender.append(Refuses()) }
    }

    @Test func everyCodecCodeHasTheSameNameAsAWireCode() {
        let pairs: [(WireError.Code, MessagePackError.Code)] = [
            (.truncated, .truncated), (.invalidFormatByte, .invalidFormatByte), (.typeMismatch, .typeMismatch),
            (.integerOverflow, .integerOverflow), (.numberOutOfRange, .numberOutOfRange),
            (.invalidUTF8, .invalidUTF8), (.trailingBytes, .trailingBytes), (.unsupportedKey, .unsupportedKey),
            (.unsupportedExtension, .unsupportedExtension), (.depthLimitExceeded, .depthLimitExceeded),
            (.keyNotFound, .keyNotFound), (.endOfContainer, .endOfContainer),
            (.invalidCoderUsage, .invalidCoderUsage),
        ]
        for (wire, codec) in pairs {
            let converted = WireError(MessagePackError(codec, at: 7, "detail", codingPath: ["a"]))
            #expect(converted.code == wire)
            #expect(wire.description == codec.description)
            #expect(converted.offset == 7 && converted.codingPath == ["a"])
            #expect(converted.description.hasPrefix("\(codec) at byte 7 (coding path: a): detail. Hint: "))
        }
        #expect(Set(pairs.map(\.0)).count == pairs.count)
    }
}
