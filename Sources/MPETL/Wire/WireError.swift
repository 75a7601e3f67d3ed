internal import MessagePack

/// An item that could not be encoded for the wire, or a message on it that is not one MPETL sent.
///
/// ``Pipeline/feed(_:)``, ``Pipeline/send(_:_:)`` and a stage's emitted values throw it when an
/// item's `encode(to:)` misuses the Codable containers (``Code/invalidCoderUsage``) or nests
/// deeper than 512 levels (``Code/depthLimitExceeded``); errors thrown by `encode(to:)` itself
/// pass through unchanged. A value a stage emits that cannot be encoded fails its item like an
/// error its body threw: under the default ``ErrorPolicy``, `join()` throws a
/// ``PipelineError/Code/stageFailed`` error whose ``PipelineError/cause`` has the type
/// `WireError`. A malformed batch from a peer is refused with a `WireError`'s description.
///
/// The codes and descriptions are those of the MessagePack codec's `MessagePackError` (module
/// `MessagePack`), which MPETL converts at its boundary so that `MPETL` alone is enough to catch
/// them:
///
/// ```swift
/// do {
///     try pipeline.feed(record)
/// } catch let error as WireError where error.code == .invalidCoderUsage {
///     print(error)   // invalidCoderUsage at byte 0 (coding path: …): …
/// }
/// ```
public struct WireError: Error, CustomStringConvertible, Equatable {
    /// The kind of problem. New codes may be added; do not switch over them exhaustively.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The codec's code: one list of codes for both, so a conversion cannot lose one.
        let codec: MessagePackError.Code

        init(_ codec: MessagePackError.Code) {
            self.codec = codec
        }

        /// The input ended, or a declared length ran past its end, before a value was complete.
        public static let truncated = Code(.truncated)
        /// A byte that MessagePack never uses (`0xc1`), or not MPETL's batch magic, stood where
        /// a value or a batch should start.
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
        public var description: String { codec.description }
    }

    /// What went wrong.
    public var code: Code
    /// The byte offset in the input where the problem was found (for encoding errors, 0).
    public var offset: Int
    /// The keys and indices (`"Index 3"`) from the top-level value down to the failing value.
    public var codingPath: [String]
    /// What was expected, what was found, where, and a hint what to do next.
    public var description: String

    /// Creates an error with a complete, caller-written description.
    init(code: Code, offset: Int, description: String) {
        self.code = code
        self.offset = offset
        self.codingPath = []
        self.description = description
    }

    /// The codec's error as MPETL's users see it: same code, offset, path and description.
    init(_ error: MessagePackError) {
        code = Code(error.code)
        offset = error.offset
        codingPath = error.codingPath
        description = error.description
    }
}
