import Foundation

// Key pairs in ZeroMQ's own certificate format: ZPL text (rfc.zeromq.org spec 4) with the keys
// under `curve`, as czmq's zcert and pyzmq's zmq.auth.create_certificates write them, so that
// keys made by either work here and the other way round.

extension CurveKeyPair {
    /// Reads a key pair from a secret CURVE certificate, as czmq, pyzmq and
    /// ``secretCertificate(generatedBy:on:)`` write it.
    ///
    /// The keys are `curve/public-key` and `curve/secret-key`; everything else (comments,
    /// `metadata`) is read for its syntax and then ignored. A public certificate (pyzmq's and
    /// czmq's `NAME.key`, without `secret-key`) is refused: a process needs the secret one,
    /// `NAME.key_secret`.
    ///
    /// The `public-key = …` / `secret-key = …` lines this module wrote before it wrote
    /// certificates are still read (see ``isLegacyKeyFile(_:)``).
    ///
    /// ```swift
    /// let keys = try CurveKeyPair(certificate: """
    ///     metadata
    ///     curve
    ///         public-key = "\(publicKey)"
    ///         secret-key = "\(secretKey)"
    ///     """)
    /// ```
    /// - Throws: ``CurveCertificateError`` naming the line and what to do: malformed ZPL, no
    ///   `curve` section, a missing, repeated or malformed key, a public certificate, or keys
    ///   that do not belong together. It never contains a key.
    public init(certificate text: String) throws(CurveCertificateError) {
        if Self.isLegacyKeyFile(text) {
            try self.init(legacyKeyFile: text)
            return
        }
        let document = try ZPLDocument(parsing: text)
        let sections = document.children(of: nil, named: "curve")
        guard let curve = sections.first else {
            let topLevelKeys =
                !document.children(of: nil, named: "public-key").isEmpty
                || !document.children(of: nil, named: "secret-key").isEmpty
            throw CurveCertificateError(
                .missingCurveSection, "no `curve` section: this is not a CURVE certificate",
                topLevelKeys
                    ? "indent the keys by 4 spaces under a line `curve`"
                    : "give a secret certificate, as czmq's zcert or pyzmq's zmq.auth.create_certificates writes")
        }
        guard sections.count == 1 else {
            throw CurveCertificateError(
                .repeated, line: document[sections[1]].line,
                "a second `curve` section (the first is on line \(document[curve].line))", "keep one")
        }
        let curveLine = document[curve].line
        func key(_ name: String) throws(CurveCertificateError) -> ZPLDocument.Property? {
            let found = document.children(of: curve, named: name)
            guard found.count < 2 else {
                throw CurveCertificateError(
                    .repeated, line: document[found[1]].line,
                    "a second `\(name)` (the first is on line \(document[found[0]].line))", "keep one")
            }
            return found.first.map { document[$0] }
        }
        guard let publicKey = try key("public-key") else {
            throw CurveCertificateError(
                .missingKey, "no `public-key` under `curve` (line \(curveLine))",
                "indent `public-key = \"…\"` by 4 spaces under `curve`")
        }
        guard let secretKey = try key("secret-key") else {
            throw CurveCertificateError(
                .publicCertificate, "this is a public certificate: it has no `secret-key` under `curve`",
                "give the secret certificate instead (czmq and pyzmq write it beside the public one, "
                    + "as NAME.key_secret)")
        }
        for property in [publicKey, secretKey] {
            do {
                try Self.validate(property.value, named: property.name)
            } catch {
                // A bare value ends at "#", which Z85 has: a key that lost its end says why.
                let remedy =
                    property.isQuoted
                    ? "copy the key again from where it was made"
                    : "write the key in double quotes (Z85 may contain #, which starts a comment in a bare value)"
                throw CurveCertificateError(.invalidKey, line: property.line, error.detail, remedy)
            }
        }
        do {
            try self.init(publicKey: publicKey.value, secretKey: secretKey.value)
        } catch {
            throw CurveCertificateError(
                .keysDoNotMatch, line: publicKey.line,
                "the public key does not belong to the secret key on line \(secretKey.line)",
                "take both keys from the same certificate")
        }
    }

    /// The key pair as a secret CURVE certificate, in the layout czmq and pyzmq write.
    ///
    /// It holds the secret key: store it where only its owner can read it (mode 0600).
    ///
    /// ```swift
    /// let text = keys.secretCertificate(generatedBy: "my-tool")
    /// // #   ****  Generated on 2026-12-01 by my-tool  ****
    /// // #   ZeroMQ CURVE **Secret** Certificate
    /// // …
    /// // curve
    /// //     public-key = "…"
    /// //     secret-key = "…"
    /// assert(try CurveKeyPair(certificate: text) == keys)
    /// ```
    /// - Parameters:
    ///   - tool: who wrote it, for the opening comment.
    ///   - date: when, for the opening comment (its UTC day).
    public func secretCertificate(generatedBy tool: String = "MPETL", on date: Date = Date()) -> String {
        // A line break in `tool` would end the comment and start a property.
        let tool = tool.map { $0.isNewline ? " " : String($0) }.joined()
        let day = date.formatted(Date.ISO8601FormatStyle(timeZone: .gmt).year().month().day())
        // Z85 has no quote characters, so quoting cannot be broken by a key.
        return """
            #   ****  Generated on \(day) by \(tool)  ****
            #   ZeroMQ CURVE **Secret** Certificate
            #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

            metadata
            curve
                public-key = "\(publicKey)"
                secret-key = "\(secretKey)"

            """
    }

    /// Whether `text` is a legacy key file: the `public-key = …` and `secret-key = …` lines
    /// this module wrote before it wrote certificates.
    ///
    /// ``init(certificate:)`` reads these too; callers may use this to ask for the file to be
    /// rewritten as a certificate.
    ///
    /// ```swift
    /// if CurveKeyPair.isLegacyKeyFile(text) { print("rewrite it as a certificate") }
    /// ```
    public static func isLegacyKeyFile(_ text: String) -> Bool {
        // Legacy files hold nothing but key lines; a certificate's first property is a section
        // (`metadata` or `curve`) and its keys are quoted.
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }
        guard let first = lines.first(where: { !$0.isEmpty && !$0.hasPrefix("#") }),
            let equals = first.firstIndex(of: "=")
        else { return false }
        let name = first[..<equals].trimmingWhitespace()
        let value = first[first.index(after: equals)...].trimmingWhitespace()
        return fileFields.contains(String(name)) && !(value.first == "\"" || value.first == "'")
    }

    // MARK: - Legacy key files

    private static let fileFields: Set<String> = ["public-key", "secret-key"]

    /// Reads a legacy key file: one `public-key = …` and one `secret-key = …` line; blank lines
    /// and lines starting with `#` are ignored, as is whitespace around names and values.
    private init(legacyKeyFile text: String) throws(CurveCertificateError) {
        var values: [String: (key: String, line: Int)] = [:]
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw CurveCertificateError(.syntax, line: number, "expected `name = value`", "add the `=`")
            }
            let name = String(line[..<equals].trimmingWhitespace())
            let value = String(line[line.index(after: equals)...].trimmingWhitespace())
            guard Self.fileFields.contains(name) else {
                // Not echoed: Z85 has "=", so a mangled line's "name" can be part of a secret key.
                throw CurveCertificateError(
                    .syntax, line: number, "unknown name", "a key file has only `public-key` and `secret-key`")
            }
            if let earlier = values[name] {
                throw CurveCertificateError(
                    .repeated, line: number, "a second `\(name)` (the first is on line \(earlier.line))", "keep one")
            }
            do {
                try Self.validate(value, named: name)
            } catch {
                throw CurveCertificateError(
                    .invalidKey, line: number, error.detail, "copy the key again from where it was made")
            }
            values[name] = (value, number)
        }
        for name in ["public-key", "secret-key"] where values[name] == nil {
            throw CurveCertificateError(.missingKey, "no `\(name)` line", "add it, or write a new key pair")
        }
        let (publicKey, secretKey) = (values["public-key"]!, values["secret-key"]!)
        do {
            try self.init(publicKey: publicKey.key, secretKey: secretKey.key)
        } catch {
            throw CurveCertificateError(
                .keysDoNotMatch, line: publicKey.line,
                "the public key does not belong to the secret key on line \(secretKey.line)",
                "take both keys from the same key pair")
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and carriage returns.
    fileprivate func trimmingWhitespace() -> SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let last = lastIndex(where: { !isSpace($0) })!
        return self[first...last]
    }
}
