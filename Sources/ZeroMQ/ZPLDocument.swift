/// A text in the ZeroMQ Property Language (ZPL, rfc.zeromq.org spec 4), the format of czmq's and
/// pyzmq's CURVE certificates, read strictly.
///
/// Each line that is not blank or a `#` comment is a property: a name, then optionally `=` and
/// a value, quoted with `"` or `'` or bare up to a `#` comment. A property indented 4 spaces
/// deeper than the one before it is that one's child:
///
/// ```
/// curve
///     public-key = "…"    # a child of `curve`
/// ```
///
/// Where the spec leaves room, this reader fails as czmq's does rather than guess: a value whose
/// quote is not closed is an error (the spec would read it as unquoted), and so is a tab in the
/// indentation. Every error names the line, and never quotes the line: it may hold a secret key.
struct ZPLDocument: Sendable {
    struct Property: Sendable, Equatable {
        var name: String
        var value: String
        /// Whether the value was quoted. A bare value ends at `#`, which Z85 keys may contain,
        /// so a key read bare may have lost its end.
        var isQuoted: Bool
        var line: Int
        /// The index of the enclosing property in ``ZPLDocument/properties``; nil at the top.
        var parent: Int?
    }

    /// Every property in the order of the text.
    private(set) var properties: [Property] = []

    /// Reads `text`; CRLF and CR line endings are accepted, as the spec asks.
    ///
    /// - Throws: ``CurveCertificateError`` with ``CurveCertificateError/Code/syntax``,
    ///   ``CurveCertificateError/Code/indentation`` or ``CurveCertificateError/Code/unterminatedQuote``
    ///   and the line.
    init(parsing text: String) throws(CurveCertificateError) {
        // The last property at each depth above the current line, outermost first.
        var open: [Int] = []
        // "\r\n" is one Character and `isNewline`, so CRLF splits once.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, line) in lines.enumerated() {
            guard let parsed = try Self.parse(Array(line.utf8), line: index + 1) else { continue }
            guard parsed.depth <= open.count else {
                throw CurveCertificateError(
                    .indentation, line: index + 1,
                    "indented by \(parsed.depth * 4) spaces, "
                        + "but the property before it allows at most \(open.count * 4)",
                    "indent a property 4 spaces deeper than the one it belongs to, and no more")
            }
            open.removeSubrange(parsed.depth...)
            properties.append(
                Property(
                    name: parsed.name, value: parsed.value, isQuoted: parsed.isQuoted, line: index + 1,
                    parent: open.last))
            open.append(properties.count - 1)
        }
    }

    /// The indexes of the properties named `name` directly under `parent` (the top level when nil).
    func children(of parent: Int?, named name: String) -> [Int] {
        properties.indices.filter { properties[$0].parent == parent && properties[$0].name == name }
    }

    /// The indexes of every property directly under `parent` (the top level when nil).
    func children(of parent: Int?) -> [Int] {
        properties.indices.filter { properties[$0].parent == parent }
    }

    subscript(index: Int) -> Property { properties[index] }

    // MARK: - One line

    private struct Line {
        var depth: Int
        var name: String
        var value: String
        var isQuoted: Bool
    }

    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let hash = UInt8(ascii: "#")
    private static let equals = UInt8(ascii: "=")
    private static let quotes: Set<UInt8> = [UInt8(ascii: "\""), UInt8(ascii: "'")]
    private static let nameSymbols = Set("$-_@.&+/".utf8)

    /// The property on one line, or nil for a blank or comment line.
    private static func parse(_ bytes: [UInt8], line: Int) throws(CurveCertificateError) -> Line? {
        func error(_ code: CurveCertificateError.Code, _ problem: String, _ remedy: String) -> CurveCertificateError {
            CurveCertificateError(code, line: line, problem, remedy)
        }
        func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab || byte == UInt8(ascii: "\r") }
        var end = bytes.count
        while end > 0, isBlank(bytes[end - 1]) { end -= 1 }
        var position = 0
        while position < end, bytes[position] == space { position += 1 }
        // Comments may sit at any indentation: where they stand changes nothing.
        if position == end || bytes[position] == hash { return nil }
        if bytes[position] == tab {
            throw error(.indentation, "a tab in the indentation", "ZPL indents with spaces, 4 per level")
        }
        guard position % 4 == 0 else {
            throw error(.indentation, "indented by \(position) spaces", "ZPL indents each level by exactly 4 spaces")
        }
        let depth = position / 4

        let nameStart = position
        while position < end, isNameCharacter(bytes[position]) { position += 1 }
        guard position > nameStart else {
            throw error(
                .syntax, "column \(position + 1) cannot start a property name",
                "a name is letters, digits and $ - _ @ . & + /; quote values and put comments after #")
        }
        guard bytes[nameStart] != UInt8(ascii: "/"), bytes[position - 1] != UInt8(ascii: "/") else {
            throw error(.syntax, "a name starts or ends with /", "use / only between the parts of a name")
        }
        let name = String(decoding: bytes[nameStart..<position], as: UTF8.self)
        while position < end, isBlank(bytes[position]) { position += 1 }
        if position == end || bytes[position] == hash {
            return Line(depth: depth, name: name, value: "", isQuoted: false)
        }
        guard bytes[position] == equals else {
            throw error(
                .syntax, "unexpected text at column \(position + 1), after the name",
                "write `name = value`, or the name alone to open a section")
        }
        position += 1
        while position < end, isBlank(bytes[position]) { position += 1 }

        if position < end, quotes.contains(bytes[position]) {
            let quote = bytes[position]
            let mark = quote == UInt8(ascii: "\"") ? "\"" : "'"
            guard let close = bytes[(position + 1)..<end].firstIndex(of: quote) else {
                throw error(
                    .unterminatedQuote,
                    "the value opens a \(mark) at column \(position + 1) that the line never closes",
                    "end the value with \(mark) on the same line (ZPL has no escapes and no multi-line values)")
            }
            let value = String(decoding: bytes[(position + 1)..<close], as: UTF8.self)
            position = close + 1
            while position < end, isBlank(bytes[position]) { position += 1 }
            guard position == end || bytes[position] == hash else {
                throw error(
                    .syntax, "unexpected text at column \(position + 1), after the closing \(mark)",
                    "put nothing after a quoted value but a comment starting with #")
            }
            return Line(depth: depth, name: name, value: value, isQuoted: true)
        }
        var valueEnd = bytes[position..<end].firstIndex(of: hash) ?? end
        while valueEnd > position, isBlank(bytes[valueEnd - 1]) { valueEnd -= 1 }
        let value = String(decoding: bytes[position..<valueEnd], as: UTF8.self)
        return Line(depth: depth, name: name, value: value, isQuoted: false)
    }

    /// `ALPHA | DIGIT | "$" | "-" | "_" | "@" | "." | "&" | "+" | "/"`, the spec's name-char.
    private static func isNameCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            nameSymbols.contains(byte)
        }
    }
}
