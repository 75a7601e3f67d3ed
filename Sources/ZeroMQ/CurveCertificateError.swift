/// A CURVE certificate (or key file) that cannot be read: where, what is wrong, and what to do.
///
/// The text never contains a key: a damaged line may hold a secret one.
///
/// ```swift
/// do {
///     keys = try CurveKeyPair(certificate: text)
/// } catch let error where error.code == .publicCertificate {
///     print("this is the public half; give the .key_secret file")
/// } catch {
///     print("server.key_secret: \(error)")  // "line 7: … ; …"
/// }
/// ```
public struct CurveCertificateError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of problem it is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        // A private enum, so that codes cannot be minted from a typo and more can be added.
        private enum Kind: String, Sendable {
            case syntax, indentation, unterminatedQuote, missingCurveSection, missingKey, publicCertificate
            case invalidKey, keysDoNotMatch, repeated
        }

        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// A line that is not ZPL: a character that cannot start a name, text after a name
        /// without `=`, text after a closing quote, a line without `=` in a legacy key file.
        public static let syntax = Code(.syntax)
        /// A tab, a step other than 4 spaces, or a property deeper than its parent allows.
        public static let indentation = Code(.indentation)
        /// A value that opens a quote the line does not close.
        public static let unterminatedQuote = Code(.unterminatedQuote)
        /// No `curve` section: not a CURVE certificate.
        public static let missingCurveSection = Code(.missingCurveSection)
        /// No `public-key` (or, in a legacy key file, no `secret-key`).
        public static let missingKey = Code(.missingKey)
        /// A public certificate (no `secret-key`), where the secret one is needed.
        public static let publicCertificate = Code(.publicCertificate)
        /// A key that is not 40 characters of Z85.
        public static let invalidKey = Code(.invalidKey)
        /// A public key that is not the one derived from the secret key.
        public static let keysDoNotMatch = Code(.keysDoNotMatch)
        /// A second `curve` section, or a key given twice.
        public static let repeated = Code(.repeated)

        /// The code's name, e.g. `publicCertificate`.
        public var description: String { kind.rawValue }
    }

    /// What kind of problem it is.
    public var code: Code
    /// The line the problem is on, counting from 1; nil when it is about the whole text.
    public var line: Int?
    /// What is wrong.
    public var problem: String
    /// What to do about it.
    public var remedy: String

    init(_ code: Code, line: Int? = nil, _ problem: String, _ remedy: String) {
        self.code = code
        self.line = line
        self.problem = problem
        self.remedy = remedy
    }

    /// `line N: problem; remedy`.
    public var description: String {
        let place = line.map { "line \($0): " } ?? ""
        return "\(place)\(problem); \(remedy)"
    }
}
