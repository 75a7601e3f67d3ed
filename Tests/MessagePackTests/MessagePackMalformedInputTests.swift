import Foundation
import Testing

@testable import MessagePack

// MARK: Helpers

/// The MessagePackError `body` throws; records an issue if it throws something else or nothing.
private func codecError(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> MessagePackError? {
    do {
        try body()
        Issue.record("expected a MessagePackError, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as MessagePackError {
        return error
    } catch {
        Issue.record("expected a MessagePackError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

private func decodeError<T: Decodable>(
    _ type: T.Type, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
) -> MessagePackError? {
    codecError(sourceLocation: sourceLocation) { _ = try MessagePackDecoder().decode(T.self, from: bytes) }
}

private struct Point: Codable, Equatable {
    var x: Int
    var y: Int
}

/// A struct whose decoding can only fail with MessagePackError (no enums, no Int-keyed dictionaries).
private struct Everything: Codable, Equatable {
    var id: Int
    var small: UInt8
    var name: String
    var score: Double
    var ratio: Float
    var flag: Bool
    var blob: Data
    var bytes: [UInt8]
    var optional: Int?
    var points: [Point]
    var table: [String: [Int16]]
    var nested: [[String?]]

    static let sample = Everything(
        id: -70_000, small: 200, name: "héllo", score: 2.5, ratio: 0.5, flag: true, blob: Data([1, 2, 3]),
        bytes: [4, 5], optional: 9, points: [Point(x: 1, y: -1), Point(x: 300, y: 65_536)],
        table: ["a": [1, -2], "b": []], nested: [["x", nil], []])
}

/// Recursive through unkeyed containers: decodes nested arrays of any depth.
private struct DeepArray: Decodable {
    var depth: Int

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        depth = container.isAtEnd ? 0 : try container.decode(DeepArray.self).depth + 1
    }
}

/// Recursive through keyed containers: {"next": {"next": …}}.
private struct DeepMap: Decodable {
    var next: [DeepMap]?
}

/// Recursive through single-value containers only: never consumes any input.
private struct Bottomless: Decodable {
    init(from decoder: any Decoder) throws {
        _ = try decoder.singleValueContainer().decode(Bottomless.self)
    }
}

// MARK: Tests

@Suite("MessagePack malformed input")
struct MessagePackMalformedInputTests {
    @Test func everyPrefixIsTruncated() throws {
        let bytes = try MessagePackEncoder().encode(Everything.sample)
        #expect(try MessagePackDecoder().decode(Everything.self, from: bytes) == Everything.sample)
        for length in 0..<bytes.count {
            let prefix = Array(bytes.prefix(length))
            #expect(decodeError(Everything.self, prefix)?.code == .truncated, "prefix of \(length) bytes")
            prefix.withUnsafeBytes { raw in
                var reader = MessagePackReader(raw)
                #expect(throws: MessagePackError.self) { try reader.skipValue() }
                #expect(reader.offset == 0)
            }
        }
    }

    @Test func randomBytesDecodeOrThrowMessagePackError() {
        var random = SplitMix64(state: 0x5eed)
        let valid = (try? MessagePackEncoder().encode(Everything.sample)) ?? []
        for round in 0..<4_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...48, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
            } else {
                // Mutations of a valid encoding get further into the decoder.
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let index = Int.random(in: 0..<bytes.count, using: &random)
                    bytes[index] = UInt8.random(in: 0...255, using: &random)
                }
                if round % 3 == 0 { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &random)) }
            }
            for attempt in 0..<6 {
                do {
                    switch attempt {
                    case 0: _ = try MessagePackDecoder().decode(Everything.self, from: bytes)
                    case 1: _ = try MessagePackDecoder().decode([Point].self, from: bytes)
                    case 2: _ = try MessagePackDecoder().decode([String: [Int?]].self, from: bytes)
                    case 3: _ = try MessagePackDecoder().decode(String.self, from: bytes)
                    case 4: _ = try MessagePackDecoder().decode(Double.self, from: bytes)
                    default:
                        try bytes.withUnsafeBytes { raw in
                            var reader = MessagePackReader(raw)
                            while !reader.isAtEnd { try reader.skipValue() }
                        }
                    }
                } catch is MessagePackError {
                    // expected for most inputs
                } catch {
                    Issue.record("round \(round), attempt \(attempt): \(type(of: error)) \(error) for \(bytes)")
                }
            }
        }
    }

    @Test(
        arguments: [
            [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61],  // str32 of 4 GiB
            [0xda, 0xff, 0xff, 0x61],  // str16
            [0xd9, 0x05, 0x61],  // str8
            [0xc6, 0xff, 0xff, 0xff, 0xff, 0x00],  // bin32
            [0xdd, 0xff, 0xff, 0xff, 0xff, 0x01],  // array32 of 4 G elements
            [0xdf, 0xff, 0xff, 0xff, 0xff, 0x01],  // map32
            [0xde, 0x00, 0x02, 0xa1, 0x61, 0x01],  // map16 of 2 pairs, 1 present
            [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01],  // ext32
            [0xcb, 0x00, 0x00],  // float64 cut short
        ] as [[UInt8]])
    func hugeDeclaredLengthsAreTruncated(bytes: [UInt8]) {
        let stringError = decodeError(String.self, bytes)
        #expect(stringError != nil)
        if [0xd9, 0xda, 0xdb].contains(bytes[0]) { #expect(stringError?.code == .truncated) }
        bytes.withUnsafeBytes { raw in
            var reader = MessagePackReader(raw)
            #expect(codecError { try reader.skipValue() }?.code == .truncated)
        }
        #expect(decodeError([Int].self, bytes) != nil)
        #expect(decodeError([String: Int].self, bytes) != nil)
        #expect(decodeError(Data.self, bytes) != nil)
    }

    @Test func neverUsedFormatByte() {
        #expect(decodeError(Int.self, [0xc1])?.code == .invalidFormatByte)
        #expect(decodeError([Int].self, [0x92, 0x01, 0xc1])?.code == .invalidFormatByte)
        #expect(decodeError(Point.self, [0x82, 0xa1, 0x78, 0xc1, 0xa1, 0x79, 0x01])?.code == .invalidFormatByte)
        #expect(decodeError(Point.self, [0x81, 0xc1, 0x01])?.code == .invalidFormatByte)
        [UInt8]([0xc1]).withUnsafeBytes { raw in
            var reader = MessagePackReader(raw)
            #expect(codecError { try reader.skipValue() }?.code == .invalidFormatByte)
        }
    }

    @Test func extensionsAreRefused() throws {
        #expect(decodeError(Int.self, [0xd4, 0x80, 0x00])?.code == .unsupportedExtension)  // reserved type -128
        #expect(decodeError(String.self, [0xd6, 0xff, 0, 0, 0, 0])?.code == .unsupportedExtension)  // timestamp
        #expect(decodeError(Point.self, [0xc7, 0x01, 0x05, 0x00])?.code == .unsupportedExtension)
        // An extension under a key the type does not know is skipped like any other value.
        let bytes: [UInt8] =
            [0x83, 0xa1, 0x78, 0x01, 0xa1, 0x65, 0xd8, 0x01]
            + Array(repeating: 0, count: 16) + [0xa1, 0x79, 0x02]
        #expect(try MessagePackDecoder().decode(Point.self, from: bytes) == Point(x: 1, y: 2))
    }

    @Test func invalidUTF8() {
        #expect(decodeError(String.self, [0xa2, 0xc3, 0x28])?.code == .invalidUTF8)
        #expect(decodeError(String.self, [0xa1, 0xff])?.code == .invalidUTF8)
        #expect(decodeError(String.self, [0xa3, 0xed, 0xa0, 0x80])?.code == .invalidUTF8)  // surrogate
        #expect(decodeError([String].self, [0x91, 0xa1, 0x80])?.code == .invalidUTF8)
        #expect(decodeError(Point.self, [0x81, 0xa1, 0xfe, 0x01])?.code == .invalidUTF8)  // map key
    }

    @Test func integerOverflow() throws {
        let encoder = MessagePackEncoder()
        #expect(decodeError(UInt8.self, try encoder.encode(300))?.code == .integerOverflow)
        #expect(decodeError(Int8.self, try encoder.encode(128))?.code == .integerOverflow)
        #expect(decodeError(Int8.self, try encoder.encode(-129))?.code == .integerOverflow)
        #expect(decodeError(UInt.self, try encoder.encode(-1))?.code == .integerOverflow)
        #expect(decodeError(Int64.self, try encoder.encode(UInt64.max))?.code == .integerOverflow)
        #expect(decodeError(Int32.self, try encoder.encode(Int64(Int32.max) + 1))?.code == .integerOverflow)
        #expect(decodeError(UInt16.self, try encoder.encode(Int32(-70_000)))?.code == .integerOverflow)
        struct Small: Decodable { var x: Int8 }
        let error = decodeError(Small.self, try encoder.encode(["x": 1_000]))
        #expect(error?.code == .integerOverflow)
        #expect(error?.codingPath == ["x"])
        #expect(error?.offset == 3)
        #expect(decodeError(Float.self, try encoder.encode(1e300))?.code == .numberOutOfRange)
        // Non-canonical but valid forms decode.
        #expect(try MessagePackDecoder().decode(UInt8.self, from: [0xd3, 0, 0, 0, 0, 0, 0, 0, 0x05]) == 5)
        #expect(try MessagePackDecoder().decode(Int.self, from: [0xcf, 0, 0, 0, 0, 0, 0, 0, 0x05]) == 5)
    }

    @Test func typeMismatches() throws {
        let encoder = MessagePackEncoder()
        #expect(decodeError(Int.self, try encoder.encode("1"))?.code == .typeMismatch)
        #expect(decodeError(String.self, try encoder.encode(1))?.code == .typeMismatch)
        #expect(decodeError(Int.self, try encoder.encode(1.0))?.code == .typeMismatch)
        #expect(decodeError(Bool.self, try encoder.encode(1))?.code == .typeMismatch)
        #expect(decodeError(Int.self, [0xc0])?.code == .typeMismatch)
        #expect(decodeError(Point.self, try encoder.encode([1, 2]))?.code == .typeMismatch)
        #expect(decodeError([Int].self, try encoder.encode(Point(x: 1, y: 2)))?.code == .typeMismatch)
        #expect(decodeError(Data.self, try encoder.encode("abc"))?.code == .typeMismatch)
        // Data written as an array of bytes (Data's own Codable form) is still accepted.
        #expect(try MessagePackDecoder().decode(Data.self, from: [0x92, 0x01, 0x02]) == Data([1, 2]))
    }

    @Test func missingKeysAndElements() throws {
        let missing = decodeError(Point.self, try MessagePackEncoder().encode(["x": 1]))
        #expect(missing?.code == .keyNotFound)
        #expect(missing?.codingPath == ["y"])
        struct Triple: Decodable {
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                for _ in 0..<3 { _ = try container.decode(Int.self) }
            }
        }
        let short = decodeError(Triple.self, [0x92, 0x01, 0x02])
        #expect(short?.code == .endOfContainer)
        #expect(short?.codingPath == ["Index 2"])
    }

    @Test func unsupportedKeys() {
        #expect(decodeError(Point.self, [0x81, 0xc0, 0x01])?.code == .unsupportedKey)
        #expect(decodeError(Point.self, [0x81, 0xc3, 0x01])?.code == .unsupportedKey)
        #expect(decodeError([String: Int].self, [0x81, 0x91, 0x01, 0x01])?.code == .unsupportedKey)
        let uint64Key: [UInt8] = [0x81, 0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        #expect(decodeError([Int: Int].self, uint64Key)?.code == .unsupportedKey)
    }

    @Test func depthBomb() {
        let bomb = [UInt8](repeating: 0x91, count: 100_000) + [0x90]
        let arrayError = decodeError(DeepArray.self, bomb)
        #expect(arrayError?.code == .depthLimitExceeded)
        #expect(arrayError?.description.contains("512") == true)
        #expect(decodeError([[[[[[Int]]]]]].self, bomb) != nil)
        bomb.withUnsafeBytes { raw in
            var reader = MessagePackReader(raw)
            #expect(codecError { try reader.skipValue() }?.code == .depthLimitExceeded)
            #expect(reader.offset == 0)
        }
        // The same bomb under a key the type does not know, and as nested maps.
        let hidden: [UInt8] = [0x81, 0xa1, 0x7a] + bomb
        #expect(decodeError(Point.self, hidden)?.code == .depthLimitExceeded)
        var maps: [UInt8] = []
        for _ in 0..<5_000 { maps += [0x81, 0xa4] + Array("next".utf8) + [0x91] }
        maps += [0x80]
        #expect(decodeError(DeepMap.self, maps)?.code == .depthLimitExceeded)
        #expect(decodeError(Bottomless.self, [0xc0])?.code == .depthLimitExceeded)
        // Just under the limit is fine.
        let deep = [UInt8](repeating: 0x91, count: 500) + [0x90]
        #expect((try? MessagePackDecoder().decode(DeepArray.self, from: deep))?.depth == 500)
    }

    @Test func encodingTooDeepIsAnError() {
        final class Chain: Encodable {
            let next: Chain?
            init(length: Int) { next = length > 0 ? Chain(length: length - 1) : nil }
        }
        let error = codecError { _ = try MessagePackEncoder().encode(Chain(length: 1_000)) }
        #expect(error?.code == .depthLimitExceeded)
        struct Spiral: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.unkeyedContainer()
                for _ in 0..<1_000 { container = container.nestedUnkeyedContainer() }
            }
        }
        #expect(codecError { _ = try MessagePackEncoder().encode(Spiral()) }?.code == .depthLimitExceeded)
    }

    @Test func trailingBytes() throws {
        var bytes = try MessagePackEncoder().encode(Point(x: 1, y: 2))
        bytes.append(0x00)
        let error = decodeError(Point.self, bytes)
        #expect(error?.code == .trailingBytes)
        #expect(error?.offset == bytes.count - 1)
        #expect(decodeError(Int.self, [0x01, 0x02])?.code == .trailingBytes)
    }

    @Test func readerStaysPutAfterAnError() {
        let bytes: [UInt8] = [0xcd, 0x01, 0x2c, 0xa1, 0x61]
        bytes.withUnsafeBytes { raw in
            var reader = MessagePackReader(raw)
            #expect(codecError { _ = try reader.decode(UInt8.self) }?.code == .integerOverflow)
            #expect(reader.offset == 0)
            #expect(codecError { _ = try reader.decode(Point.self) }?.code == .typeMismatch)
            #expect(reader.offset == 0)
            #expect((try? reader.decode(UInt16.self)) == 300)
            #expect((try? reader.decode(String.self)) == "a")
            #expect(reader.isAtEnd)
            #expect(codecError { _ = try reader.decode(Int.self) }?.code == .truncated)
        }
    }

    @Test func errorDescriptionsSayWhatAndWhere() throws {
        let error = try #require(decodeError(UInt8.self, [0xcd, 0x01, 0x2c]))
        #expect(error.description.contains("integerOverflow at byte 0"))
        #expect(error.description.contains("fits UInt8"))
        #expect(error.description.contains("300"))
        #expect(error.description.contains("Hint:"))
        let truncated = try #require(decodeError(String.self, [0xdb, 0xff, 0xff, 0xff, 0xff]))
        #expect(truncated.description.contains("4294967295"))
        #expect(MessagePackError.Code.truncated.description == "truncated")
        #expect(MessagePackError.Code.truncated != .typeMismatch)
        let custom = MessagePackError(code: .truncated, offset: 3, description: "custom text")
        #expect(custom.description == "custom text" && custom.offset == 3)
    }
}
