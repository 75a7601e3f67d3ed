/// A malformed or unexpected MessagePack input, or a misuse of the MessagePack coders.
///
/// Decoding never traps on bad input: every problem the reader and the decoder find is thrown
/// as a `MessagePackError` (errors thrown by your own `init(from:)` or `encode(to:)` pass through
/// unchanged). Match on ``code`` to react to one kind of problem:
///
/// ```swift
/// do {
///     let n = try MessagePackDecoder().decode(Int8.self, from: [0xcd, 0x01, 0x2c])
/// } catch let error as MessagePackError where error.code == .integerOverflow {
///     print(error)   // integerOverflow at byte 0: expected an integer that fits Int8, found 300 …
/// }
/// ```
public struct MessagePackError: Error, CustomStringConvertible, Equatable {
    /// The kind of problem. New codes may be added; do not switch over them exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case truncated, invalidFormatByte, typeMismatch, integerOverflow, numberOutOfRange
            case invalidUTF8, trailingBytes, unsupportedKey, unsupportedExtension
            case depthLimitExceeded, keyNotFound, endOfContainer, invalidCoderUsage
        }

        private var value: Value

        private init(_ value: Value) {
            self.value = value
        }

        /// The input ended, or a declared length ran past its end, before a value was complete.
        public static let truncated = Code(.truncated)
        /// A byte that MessagePack never uses (`0xc1`) stood where a value should start.
        public static let invalidFormatByte = Code(.invalidFormatByte)
        /// A well-formed value of another type than the Swift type being decoded.
        public static let typeMismatch = Code(.typeMismatch)
        /// An integer that does not fit the Swift integer type being decoded.
        public static let integerOverflow = Code(.integerOverflow)
        /// A float64 outside the range of the `Float` being decoded.
        public static let numberOutOfRange = Code(.numberOutOfRange)
        /// A string (value or map key) whose bytes are not valid UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// Bytes left over after the one value that a whole-buffer decode expects.
        public static let trailingBytes = Code(.trailingBytes)
        /// A map key that is neither a string nor an integer that fits `Int`.
        public static let unsupportedKey = Code(.unsupportedKey)
        /// A MessagePack extension value (ext, fixext), which no Swift type decodes from.
        public static let unsupportedExtension = Code(.unsupportedExtension)
        /// Values nested deeper than 512 levels.
        public static let depthLimitExceeded = Code(.depthLimitExceeded)
        /// A keyed container lacks a key that a non-optional property needs.
        public static let keyNotFound = Code(.keyNotFound)
        /// An unkeyed container was asked for more elements than it holds.
        public static let endOfContainer = Code(.endOfContainer)
        /// `encode(to:)` or `init(from:)` used the coder in a way Codable does not allow,
        /// such as two values through one single-value container.
        public static let invalidCoderUsage = Code(.invalidCoderUsage)

        /// The code's name, e.g. `truncated`.
        public var description: String {
            switch value {
            case .truncated: "truncated"
            case .invalidFormatByte: "invalidFormatByte"
            case .typeMismatch: "typeMismatch"
            case .integerOverflow: "integerOverflow"
            case .numberOutOfRange: "numberOutOfRange"
            case .invalidUTF8: "invalidUTF8"
            case .trailingBytes: "trailingBytes"
            case .unsupportedKey: "unsupportedKey"
            case .unsupportedExtension: "unsupportedExtension"
            case .depthLimitExceeded: "depthLimitExceeded"
            case .keyNotFound: "keyNotFound"
            case .endOfContainer: "endOfContainer"
            case .invalidCoderUsage: "invalidCoderUsage"
            }
        }

        /// What to do next, for the end of ``MessagePackError/description``.
        var hint: String {
            switch value {
            case .truncated:
                "the message was cut short or a length prefix is wrong; check that the whole frame arrived"
            case .invalidFormatByte:
                "the bytes are not MessagePack, or the reader lost its place in a stream of values"
            case .typeMismatch:
                "the bytes were written for another type; make both sides use the same Codable type"
            case .integerOverflow:
                "declare the property with a wider integer type, or check the value the writer sends"
            case .numberOutOfRange:
                "declare the property as Double instead of Float"
            case .invalidUTF8:
                "send text as valid UTF-8, and arbitrary bytes as Data or [UInt8] (MessagePack bin)"
            case .trailingBytes:
                "the buffer holds more than one value; read them one by one with MessagePackReader"
            case .unsupportedKey:
                "use String or Int keys; other Dictionary keys are written as [key, value, …] arrays"
            case .unsupportedExtension:
                "MessagePack ext types have no Swift counterpart here; send the payload as bin"
            case .depthLimitExceeded:
                "flatten the data, or check the input: it may be hostile"
            case .keyNotFound:
                "make the property Optional if the writer may leave it out"
            case .endOfContainer:
                "the array is shorter than the decoding code expects; check isAtEnd first"
            case .invalidCoderUsage:
                "request one container per value and use containers only inside the encode(to:) or init(from:) "
                    + "that created them"
            }
        }
    }

    /// What went wrong.
    public var code: Code
    /// The byte offset in the input where the problem was found (for encoding errors, 0).
    public var offset: Int
    /// The keys and indices (`"Index 3"`) from the top-level value down to the failing value.
    public var codingPath: [String]
    /// What was expected, what was found, where, and a hint what to do next.
    public var description: String

    /// The expected/found text, kept so that ``description`` can be rebuilt once a coding path
    /// is known; nil for errors created with a complete description.
    private var detail: String?

    /// Creates an error with a complete, caller-written description.
    init(code: Code, offset: Int, description: String) {
        self.code = code
        self.offset = offset
        self.codingPath = []
        self.description = description
        self.detail = nil
    }

    /// Creates an error whose description is built from `detail`, the offset and the code's hint.
    init(_ code: Code, at offset: Int, _ detail: String, codingPath: [String] = []) {
        self.code = code
        self.offset = offset
        self.codingPath = codingPath
        self.detail = detail
        self.description = ""
        self.description = render()
    }

    private func render() -> String {
        var text = "\(code) at byte \(offset)"
        if !codingPath.isEmpty { text += " (coding path: \(codingPath.joined(separator: " → ")))" }
        text += ": \((detail ?? "")). Hint: \(code.hint)."
        return text
    }

    /// This error with `path` as its coding path, unless it already carries one.
    func addingCodingPath(_ path: @autoclosure () -> [String]) -> MessagePackError {
        guard codingPath.isEmpty else { return self }
        var copy = self
        copy.codingPath = path()
        if copy.codingPath.isEmpty { return self }
        if detail != nil {
            copy.description = copy.render()
        } else {
            copy.description += " (coding path: \(copy.codingPath.joined(separator: " → ")))"
        }
        return copy
    }
}
