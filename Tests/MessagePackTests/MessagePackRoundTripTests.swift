import Foundation
import Testing

@testable import MessagePack

// MARK: Helpers

/// Encodes with MessagePackEncoder and with MessagePackWriter (which must agree), decodes with
/// MessagePackDecoder and MessagePackReader, and returns the bytes and the decoded value.
@discardableResult
private func roundTrip<T: Codable & Equatable>(
    _ value: T, sourceLocation: SourceLocation = #_sourceLocation
) throws -> [UInt8] {
    let bytes = try MessagePackEncoder().encode(value)
    var writer = MessagePackWriter()
    try writer.encode(value)
    #expect(writer.bytes == bytes, "writer and encoder disagree", sourceLocation: sourceLocation)
    let decoded = try MessagePackDecoder().decode(T.self, from: bytes)
    #expect(decoded == value, sourceLocation: sourceLocation)
    let viaData = try MessagePackDecoder().decode(T.self, from: Data(bytes))
    #expect(viaData == value, sourceLocation: sourceLocation)
    try bytes.withUnsafeBytes { raw throws in
        var reader = MessagePackReader(raw)
        #expect(try reader.decode(T.self) == value, sourceLocation: sourceLocation)
        #expect(reader.isAtEnd, sourceLocation: sourceLocation)
        reader.offset = 0
        try reader.skipValue()
        #expect(reader.isAtEnd, "skipValue disagrees with decode", sourceLocation: sourceLocation)
    }
    return bytes
}

private func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
    try MessagePackEncoder().encode(value)
}

private func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
    try MessagePackDecoder().decode(T.self, from: bytes)
}

/// The MessagePack encoding of a string, built by hand from the spec.
private func str(_ s: String) -> [UInt8] {
    let utf8 = Array(s.utf8)
    precondition(utf8.count <= 31)
    return [0xa0 | UInt8(utf8.count)] + utf8
}

// MARK: Test types

private struct Point: Codable, Equatable {
    var x: Int
    var y: Int
}

private struct Record: Codable, Equatable {
    var id: Int
    var name: String
    var score: Double
}

private struct AllIntegers: Codable, Equatable {
    var int: Int, int8: Int8, int16: Int16, int32: Int32, int64: Int64
    var uint: UInt, uint8: UInt8, uint16: UInt16, uint32: UInt32, uint64: UInt64

    static let minimum = AllIntegers(
        int: .min, int8: .min, int16: .min, int32: .min, int64: .min,
        uint: .min, uint8: .min, uint16: .min, uint32: .min, uint64: .min)
    static let maximum = AllIntegers(
        int: .max, int8: .max, int16: .max, int32: .max, int64: .max,
        uint: .max, uint8: .max, uint16: .max, uint32: .max, uint64: .max)
}

private struct Scalars: Codable, Equatable {
    var flag: Bool
    var float: Float
    var double: Double
    var text: String
    var data: Data
    var bytes: [UInt8]
}

private struct WithOptionals: Codable, Equatable {
    var required: Int
    var maybe: Int?
    var maybeText: String?
    var maybePoint: Point?
    var nested: Int??
}

private struct Company: Codable, Equatable {
    var name: String
    var headquarters: Point
    var staff: [Record]
    var tags: [String: [Int]]
    var matrix: [[Double]]
    var empty: [Point]
}

private class Animal: Codable, Equatable {
    var legs: Int

    init(legs: Int) { self.legs = legs }

    static func == (lhs: Animal, rhs: Animal) -> Bool { lhs.isEqual(to: rhs) }

    func isEqual(to other: Animal) -> Bool { type(of: self) == type(of: other) && legs == other.legs }
}

private final class Dog: Animal {
    var name: String

    init(legs: Int, name: String) {
        self.name = name
        super.init(legs: legs)
    }

    private enum CodingKeys: String, CodingKey { case name }

    required init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        try super.init(from: container.superDecoder())
    }

    override func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try super.encode(to: container.superEncoder())
    }

    override func isEqual(to other: Animal) -> Bool {
        guard let other = other as? Dog else { return false }
        return super.isEqual(to: other) && name == other.name
    }
}

private enum Shape: Codable, Equatable {
    case circle(radius: Double)
    case rectangle(width: Int, height: Int)
    case labeled(String, Point)
    case empty
}

private enum Color: String, Codable, Equatable { case red, green, blue }

private enum Level: Int, Codable, Equatable {
    case low = 1
    case high = 10
}

private struct IntCodingKeys: Codable, Equatable {
    var alpha: Int
    var beta: String

    private enum CodingKeys: Int, CodingKey {
        case alpha = 1
        case beta = 2
    }
}

/// Uses a nested container, the parent, and the nested container again, in that order.
private struct Interleaved: Codable, Equatable {
    var first: Int
    var list: [Int]
    var last: String

    private enum CodingKeys: String, CodingKey { case first, list, last }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        var nested = container.nestedUnkeyedContainer(forKey: .list)
        try nested.encode(list[0])
        try container.encode(first, forKey: .first)
        var again = encoder.container(keyedBy: CodingKeys.self)  // same map, per Codable
        for element in list.dropFirst() { try nested.encode(element) }
        try again.encode(last, forKey: .last)
    }
}

/// Exercises encodeNil, decodeNil, contains and allKeys.
private struct Sparse: Codable, Equatable {
    var present: [String: Int?]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(present: [String: Int?]) { self.present = present }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        present = [:]
        for key in container.allKeys {
            #expect(container.contains(key))
            if try container.decodeNil(forKey: key) {
                present[key.stringValue] = .some(nil)
            } else {
                present[key.stringValue] = try container.decode(Int.self, forKey: key)
            }
        }
        #expect(!container.contains(Key(stringValue: "absent")))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for (key, value) in present.sorted(by: { $0.key < $1.key }) {
            if let value {
                try container.encode(value, forKey: Key(stringValue: key))
            } else {
                try container.encodeNil(forKey: Key(stringValue: key))
            }
        }
    }
}

/// A value whose encode(to:) writes nothing.
private struct Nothing: Codable, Equatable {
    init() {}
    init(from decoder: any Decoder) throws {}
    func encode(to encoder: any Encoder) throws {}
}

private struct Wrapper<T: Codable & Equatable>: Codable, Equatable {
    var value: T
}

/// Nests `depth` levels of single-element arrays.
private struct Nest: Codable, Equatable {
    var depth: Int

    init(depth: Int) { self.depth = depth }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        depth = container.isAtEnd ? 0 : try container.decode(Nest.self).depth + 1
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        if depth > 0 { try container.encode(Nest(depth: depth - 1)) }
    }
}

// MARK: Canonical bytes

@Suite("MessagePack canonical encodings")
struct MessagePackCanonicalTests {
    @Test(
        arguments: [
            (0, [0x00]), (1, [0x01]), (127, [0x7f]), (128, [0xcc, 0x80]), (255, [0xcc, 0xff]),
            (256, [0xcd, 0x01, 0x00]), (300, [0xcd, 0x01, 0x2c]), (65_535, [0xcd, 0xff, 0xff]),
            (65_536, [0xce, 0x00, 0x01, 0x00, 0x00]), (-1, [0xff]), (-32, [0xe0]), (-33, [0xd0, 0xdf]),
            (-128, [0xd0, 0x80]), (-129, [0xd1, 0xff, 0x7f]), (-32_768, [0xd1, 0x80, 0x00]),
            (-32_769, [0xd2, 0xff, 0xff, 0x7f, 0xff]),
            (4_294_967_296, [0xcf, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]),
            (-2_147_483_649, [0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]),
        ] as [(Int, [UInt8])])
    func integers(value: Int, expected: [UInt8]) throws {
        #expect(try roundTrip(value) == expected)
    }

    @Test func scalars() throws {
        #expect(try encode(Int?.none) == [0xc0])
        #expect(try encode(true) == [0xc3])
        #expect(try encode(false) == [0xc2])
        #expect(try encode("a") == [0xa1, 0x61])
        #expect(try encode("") == [0xa0])
        #expect(try encode(1.5) == [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0])
        #expect(try encode(Float(1.5)) == [0xca, 0x3f, 0xc0, 0, 0])
        #expect(try encode(UInt64.max) == [0xcf] + Array(repeating: 0xff, count: 8))
        #expect(try encode(Data([1, 2])) == [0xc4, 0x02, 0x01, 0x02])
        #expect(try encode([UInt8]()) == [0xc4, 0x00])
    }

    @Test func containers() throws {
        #expect(try encode(Point(x: 1, y: 2)) == [0x82] + str("x") + [0x01] + str("y") + [0x02])
        #expect(try encode([1, 2, 3]) == [0x93, 0x01, 0x02, 0x03])
        #expect(try encode([Int]()) == [0x90])
        #expect(try encode(["k": 1]) == [0x81] + str("k") + [0x01])
        #expect(try encode([7: "v"]) == [0x81, 0x07] + str("v"))
        #expect(try encode(Array(repeating: 0, count: 16)) == [0xdc, 0x00, 0x10] + Array(repeating: 0, count: 16))
        // A nil optional property is left out, as JSONEncoder does.
        #expect(try encode(WithOptionals(required: 1)) == [0x81] + str("required") + [0x01])
        #expect(try encode(Nothing()) == [0x80])
        #expect(try encode(Color.green) == str("green"))
        #expect(try encode(Level.high) == [0x0a])
        #expect(
            try encode(IntCodingKeys(alpha: 1, beta: "b"))
                == [0x82] + str("alpha") + [0x01] + str("beta") + str("b"))
    }

    @Test func headerSizes() throws {
        let strings: [(Int, [UInt8])] = [
            (31, [0xbf]), (32, [0xd9, 32]), (255, [0xd9, 0xff]), (256, [0xda, 0x01, 0x00]),
            (65_535, [0xda, 0xff, 0xff]), (65_536, [0xdb, 0x00, 0x01, 0x00, 0x00]),
        ]
        for (count, prefix) in strings {
            let bytes = try encode(String(repeating: "z", count: count))
            #expect(Array(bytes.prefix(prefix.count)) == prefix)
            #expect(bytes.count == prefix.count + count)
        }
        let binaries: [(Int, [UInt8])] = [
            (255, [0xc4, 0xff]), (256, [0xc5, 0x01, 0x00]), (65_536, [0xc6, 0x00, 0x01, 0x00, 0x00]),
        ]
        for (count, prefix) in binaries {
            #expect(Array(try encode(Data(count: count)).prefix(prefix.count)) == prefix)
        }
        #expect(Array(try encode(Array(repeating: true, count: 65_536)).prefix(5)) == [0xdd, 0x00, 0x01, 0x00, 0x00])
        let bigMap = Dictionary(uniqueKeysWithValues: (0..<16).map { ($0, $0) })
        #expect(try encode(bigMap).prefix(3) == [0xde, 0x00, 0x10])
        var writer = MessagePackWriter()
        writer.writeMapHeader(count: 70_000)
        writer.writeArrayHeader(count: 15)
        #expect(writer.bytes == [0xdf, 0x00, 0x01, 0x11, 0x70, 0x9f])
    }
}

// MARK: Round trips

@Suite("MessagePack round trips")
struct MessagePackRoundTripTests {
    @Test func integersOfEveryWidth() throws {
        try roundTrip(AllIntegers.minimum)
        try roundTrip(AllIntegers.maximum)
        for value: Int64 in [
            0, 1, -1, 127, 128, -32, -33, 255, 256, -128, -129, 65_535, 65_536, -32_768,
            -32_769, 4_294_967_295, 4_294_967_296, .max, .min,
        ] {
            try roundTrip(value)
            try roundTrip(Int(value))
        }
        try roundTrip(UInt64.max)
        try roundTrip(UInt.max)
        try roundTrip(Int8(-100))
        try roundTrip(UInt16(40_000))
        try roundTrip(Int32.min)
        try roundTrip(UInt32.max)
    }

    @Test(arguments: [
        0.0, -0.0, 1.5, -2.25, .pi, 1e300, -1e-300, .infinity, -.infinity,
        .greatestFiniteMagnitude, .leastNonzeroMagnitude,
    ])
    func doubles(value: Double) throws {
        let bytes = try roundTrip(value)
        #expect(bytes.count == 9)
        #expect(try decode(Double.self, bytes).bitPattern == value.bitPattern)
    }

    @Test func floatsAndLeniency() throws {
        for value: Float in [0, 1.25, -3.0e38, .infinity, .leastNonzeroMagnitude, .pi] {
            #expect(try roundTrip(value).count == 5)
        }
        #expect(try decode(Double.self, try encode(Double.nan)).isNaN)
        #expect(try decode(Float.self, try encode(Float.nan)).isNaN)
        // float32 → Double, integers → Double/Float, float64 → Float (rounded).
        #expect(try decode(Double.self, try encode(Float(0.5))) == 0.5)
        #expect(try decode(Double.self, try encode(-7)) == -7)
        #expect(try decode(Double.self, try encode(UInt64.max)) == Double(UInt64.max))
        #expect(try decode(Float.self, try encode(300)) == 300)
        #expect(try decode(Float.self, try encode(0.1)) == Float(0.1))
        #expect(try decode(Float.self, try encode(Double.infinity)) == .infinity)
    }

    @Test func boolsStringsAndBytes() throws {
        try roundTrip(true)
        try roundTrip(false)
        for text in [
            "", "a", "line 12345", String(repeating: "x", count: 31), String(repeating: "x", count: 32),
            String(repeating: "é", count: 200), String(repeating: "y", count: 65_535),
            String(repeating: "🌍", count: 20_000), "héllo wörld 🌍 日本語 \u{0}", "\r\n\t",
        ] {
            try roundTrip(text)
        }
        for count in [0, 1, 255, 256, 65_535, 65_536, 100_000] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try roundTrip(bytes)
            try roundTrip(Data(bytes))
        }
        try roundTrip(
            Scalars(
                flag: true, float: 2.5, double: -1e-9, text: "ünï", data: Data([0, 255]), bytes: [9, 8, 7]))
    }

    @Test func arraysAndDictionaries() throws {
        try roundTrip([Int]())
        try roundTrip([[Int]]())
        try roundTrip([[1, 2], [], [3]])
        try roundTrip([["a"], ["b", "c"]])
        try roundTrip(Array(0..<70_000))
        try roundTrip([String]())
        try roundTrip(["a": 1, "b": 2, "123": 3, "": 4])
        try roundTrip([1: "one", -5: "minus five", Int.max: "max"])
        try roundTrip([String: [String: Int]](dictionaryLiteral: ("outer", ["inner": 1])))
        try roundTrip(Dictionary(uniqueKeysWithValues: (0..<1_000).map { ("key\($0)", $0) }))
        try roundTrip([Int: Int]())
        // Keys Swift's Dictionary does not key by: a [key, value, …] array.
        let doubles: [Double: String] = [1.5: "a", -2: "b"]
        let bytes = try roundTrip(doubles)
        #expect(bytes.first == 0x94)
        try roundTrip([Bool: Int]())
        try roundTrip([UUID(): [Point(x: 1, y: 2)]])
        try roundTrip(Set([3, 1, 2]))
    }

    @Test func optionals() throws {
        try roundTrip(Int?.none)
        try roundTrip(Int?.some(5))
        try roundTrip([1, nil, 3] as [Int?])
        try roundTrip([nil, "x"] as [String?])
        try roundTrip(WithOptionals(required: 1))
        try roundTrip(
            WithOptionals(
                required: 2, maybe: 3, maybeText: "t", maybePoint: Point(x: 4, y: 5), nested: .some(.some(6))))
        try roundTrip(Wrapper(value: Int??.some(.some(1))))
        try roundTrip(["k": nil, "v": 1] as [String: Int?])
        // Codable itself cannot tell .some(nil) from nil: both are written as nil (or left out).
        #expect(try encode(Int??.some(nil)) == [0xc0])
        #expect(try decode(Int??.self, [0xc0]) == .none)
        let decoded = try decode(WithOptionals.self, try encode(WithOptionals(required: 1, nested: .some(nil))))
        #expect(decoded.nested == .none)
    }

    @Test func structsClassesAndEnums() throws {
        try roundTrip(Record(id: 12_345, name: "line 12345", score: 0.5))
        try roundTrip(
            Company(
                name: "ACME", headquarters: Point(x: -1, y: 1),
                staff: [Record(id: 1, name: "a", score: 1), Record(id: 2, name: "b", score: 2)],
                tags: ["odd": [1, 3], "even": []], matrix: [[1, 2], [3.5]], empty: []))
        let dog = Dog(legs: 4, name: "Rex")
        let bytes = try encode(dog)
        #expect(bytes == [0x82] + str("name") + str("Rex") + str("super") + [0x81] + str("legs") + [0x04])
        let decodedDog = try decode(Dog.self, bytes)
        #expect(decodedDog.name == "Rex" && decodedDog.legs == 4)
        try roundTrip([Animal(legs: 2), Animal(legs: 6)])
        let shapes: [Shape] = [
            .circle(radius: 1.5), .rectangle(width: 2, height: 3), .labeled("p", Point(x: 1, y: 1)), .empty,
        ]
        for shape in shapes {
            try roundTrip(shape)
        }
        #expect(try encode(Shape.empty) == [0x81] + str("empty") + [0x80])
        #expect(
            try encode(Shape.circle(radius: 1))
                == [0x81] + str("circle") + [0x81] + str("radius") + [0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0])
        try roundTrip([Color.red, .blue])
        try roundTrip([Level.low: Color.green])
        try roundTrip(IntCodingKeys(alpha: 7, beta: "β"))
        try roundTrip(Wrapper(value: Nothing()))
    }

    @Test func foundationTypes() throws {
        try roundTrip(Date(timeIntervalSinceReferenceDate: 123_456.789))
        try roundTrip(UUID())
        try roundTrip(URL(string: "https://example.com/a?b=c")!)
        try roundTrip(Decimal(string: "12.345")!)
    }

    @Test func interleavedContainers() throws {
        let value = Interleaved(first: 1, list: [10, 20, 30], last: "end")
        let bytes = try roundTrip(value)
        #expect(bytes == [0x83] + str("list") + [0x93, 10, 20, 30] + str("first") + [0x01] + str("last") + str("end"))
    }

    @Test func nilsContainsAndAllKeys() throws {
        try roundTrip(Sparse(present: ["a": 1, "b": nil, "c": 3]))
        try roundTrip(Sparse(present: [:]))
    }

    @Test func deepButAllowedNesting() throws {
        try roundTrip(Nest(depth: 0))
        try roundTrip(Nest(depth: 400))
    }

    @Test func readerReadsConcatenatedValues() throws {
        var writer = MessagePackWriter(reservingCapacity: 64)
        try writer.encode("line 12345")
        try writer.encode(Record(id: 1, name: "one", score: 1))
        writer.writeNil()
        try writer.encode([1, 2])
        writer.write(Int64(-5))
        writer.write(UInt64(7))
        writer.write(Float(0.25))
        writer.write(true)
        writer.writeArrayHeader(count: 2)
        writer.write("x")
        writer.writeMapHeader(count: 1)
        writer.write("k")
        [UInt8]([1, 2, 3]).withUnsafeBytes { writer.write(bytes: $0) }
        try writer.encode(Point(x: 3, y: 4))
        try writer.bytes.withUnsafeBytes { raw throws in
            var reader = MessagePackReader(raw)
            #expect(try reader.decode(String.self) == "line 12345")
            #expect(try reader.decode(Record.self) == Record(id: 1, name: "one", score: 1))
            #expect(try reader.decode(Int?.self) == nil)
            #expect(try reader.decode([Int].self) == [1, 2])
            #expect(try reader.readInt64() == -5)
            #expect(try reader.readUInt64() == 7)
            #expect(try reader.readFloat() == 0.25)
            #expect(try reader.readBool())
            #expect(try reader.readArrayHeader() == 2)
            #expect(try reader.readString() == "x")
            try reader.skipValue()  // the map
            #expect(try reader.decode(Point.self) == Point(x: 3, y: 4))
            #expect(reader.isAtEnd)
        }
        let capacity = writer.bytes.capacity
        writer.removeAll()
        #expect(writer.bytes.isEmpty && writer.bytes.capacity == capacity)
    }

    @Test func writerAndReaderReuseTheirCoders() throws {
        var writer = MessagePackWriter()
        for index in 0..<100 { try writer.encode(Record(id: index, name: "n\(index)", score: Double(index))) }
        var copy = writer  // a copy must not share the cached encoder's scratch space
        try copy.encode(Point(x: 0, y: 0))
        try writer.encode(Point(x: 1, y: 1))
        try writer.bytes.withUnsafeBytes { raw throws in
            var reader = MessagePackReader(raw)
            for index in 0..<100 { #expect(try reader.decode(Record.self).id == index) }
            #expect(try reader.decode(Point.self) == Point(x: 1, y: 1))
            #expect(reader.isAtEnd)
        }
    }

    @Test func userInfoReachesCodableImplementations() throws {
        struct Probe: Codable, Equatable {
            static let key = CodingUserInfoKey(rawValue: "probe")!
            var seen: String
            init(seen: String) { self.seen = seen }
            init(from decoder: any Decoder) throws { seen = decoder.userInfo[Self.key] as? String ?? "none" }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(encoder.userInfo[Self.key] as? String ?? "none")
            }
        }
        var encoder = MessagePackEncoder()
        encoder.userInfo[Probe.key] = "enc"
        var decoder = MessagePackDecoder()
        decoder.userInfo[Probe.key] = "dec"
        let bytes = try encoder.encode(Probe(seen: ""))
        #expect(bytes == str("enc"))
        #expect(try decoder.decode(Probe.self, from: bytes).seen == "dec")
    }

    @Test func codingPathsAreReported() throws {
        struct Inner: Codable { var name: Int }
        struct Outer: Codable { var items: [Inner] }
        struct WrongInner: Codable { var name: String }
        struct WrongOuter: Codable { var items: [WrongInner] }
        let bytes = try encode(WrongOuter(items: [WrongInner(name: "a"), WrongInner(name: "b")]))
        do {
            _ = try decode(Outer.self, bytes)
            Issue.record("expected a type mismatch")
        } catch let error as MessagePackError {
            #expect(error.code == .typeMismatch)
            #expect(error.codingPath == ["items", "Index 0", "name"])
            #expect(error.description.contains("items → Index 0 → name"))
            #expect(error.description.contains("expected an integer"))
            #expect(error.description.contains("fixstr"))
            #expect(error.description.contains("Hint:"))
        }
        struct Probe: Decodable {
            var path: [String]
            init(from decoder: any Decoder) throws { path = decoder.codingPath.map(\.stringValue) }
        }
        struct Holder: Decodable { var a: [String: [Probe]] }
        let holder = try decode(Holder.self, try encode(["a": ["k": [0, 1]]]))
        #expect(holder.a["k"]?[1].path == ["a", "k", "Index 1"])
    }

    @Test func encoderMisuseIsAnError() throws {
        struct TwoValues: Encodable {
            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(1)
                try container.encode(2)
            }
        }
        struct MixedContainers: Encodable {
            func encode(to encoder: any Encoder) throws {
                var single = encoder.singleValueContainer()
                try single.encode(1)
                var unkeyed = encoder.unkeyedContainer()
                try unkeyed.encode(2)
            }
        }
        for value in [TwoValues() as any Encodable, MixedContainers()] {
            do {
                _ = try MessagePackEncoder().encode(value)
                Issue.record("expected a misuse error")
            } catch let error as MessagePackError {
                #expect(error.code == .invalidCoderUsage)
            }
        }
        var writer = MessagePackWriter()
        writer.write("before")
        #expect(throws: MessagePackError.self) { try writer.encode(TwoValues()) }
        #expect(writer.bytes == str("before"))
    }
}
