import Foundation
import Testing

@testable import ZeroMQ

/// The error `body` throws as a CurveCertificateError, or nil when it succeeds. (Captured into
/// a value first: Swift 6.3.1 crashes compiling `#require(throws:)` around typed-throws calls.)
private func certificateError(_ body: () throws -> Void) -> CurveCertificateError? {
    do {
        try body()
        return nil
    } catch {
        return error as? CurveCertificateError
    }
}

@Suite("CURVE certificates (ZPL)")
struct CurveCertificateTests {
    // MARK: - Fixtures

    /// Written by pyzmq 27.3.0 (libzmq 4.3.5): `zmq.auth.create_certificates(dir, "server")`,
    /// byte for byte. The public key holds a "#", which only its quotes keep from being a comment.
    static let pyzmqSecret = """
        #   ****  Generated on 2026-12-01 00:11:52.198066 by pyzmq  ****
        #   ZeroMQ CURVE **Secret** Certificate
        #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

        metadata
        curve
            public-key = "VU}-?]+du?*gp<a@K^TwEsj(P>yFINN(7d#lGemN"
            secret-key = "Hx02Y55%N{@TY}%B@c=$m@}Zg+q9)6zTfgY!9g(U"

        """
    static let pyzmqPair = (
        publicKey: "VU}-?]+du?*gp<a@K^TwEsj(P>yFINN(7d#lGemN", secretKey: "Hx02Y55%N{@TY}%B@c=$m@}Zg+q9)6zTfgY!9g(U"
    )

    /// The public half pyzmq wrote beside it, `server.key`.
    static let pyzmqPublic = """
        #   ****  Generated on 2026-12-01 00:11:52.198066 by pyzmq  ****
        #   ZeroMQ CURVE Public Certificate
        #   Exchange securely, or use a secure mechanism to verify the contents
        #   of this file after exchange. Store public certificates in your home
        #   directory, in the .curve subdirectory.

        metadata
        curve
            public-key = "VU}-?]+du?*gp<a@K^TwEsj(P>yFINN(7d#lGemN"

        """

    /// pyzmq with `metadata={"name": "host-b", "email": "ops@example.org"}`: metadata values bare.
    static let pyzmqWithMetadata = """
        #   ****  Generated on 2026-12-01 00:11:52.198327 by pyzmq  ****
        #   ZeroMQ CURVE **Secret** Certificate
        #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

        metadata
            name = host-b
            email = ops@example.org
        curve
            public-key = "%m77TtL<?)hcpE{)mobvv&[mbztIU>bR7H(Xuqt9"
            secret-key = "hbf@a2bh]U1IMtc<U?ifU#Wz8C35Dk-m]gz&eiae"

        """
    static let metadataPair = (
        publicKey: "%m77TtL<?)hcpE{)mobvv&[mbztIU>bR7H(Xuqt9", secretKey: "hbf@a2bh]U1IMtc<U?ifU#Wz8C35Dk-m]gz&eiae"
    )

    /// Written by czmq 4.2.1: `zcert_new`, `zcert_set_meta(cert, "name", "host-b")`,
    /// `zcert_save_secret`. Every value quoted, a time without fractions, "by CZMQ".
    static let czmqSecret = """
        #   ****  Generated on 2026-12-01 00:25:13 by CZMQ  ****
        #   ZeroMQ CURVE **Secret** Certificate
        #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

        metadata
            name = "host-b"
        curve
            public-key = "qg7-$M/rYj:8&g1XE[ka+1Y]}tZ<Bp:EOJ=7N@.L"
            secret-key = "YRZ/tqSR4DDZ^))/E.R*6epV*E2AW@B@T.vKF]#v"

        """
    static let czmqPair = (
        publicKey: "qg7-$M/rYj:8&g1XE[ka+1Y]}tZ<Bp:EOJ=7N@.L", secretKey: "YRZ/tqSR4DDZ^))/E.R*6epV*E2AW@B@T.vKF]#v"
    )

    static let allSecrets = [pyzmqPair.secretKey, metadataPair.secretKey, czmqPair.secretKey]

    // MARK: - Reading what other tools write

    @Test func readsTheSecretCertificatePyzmqWrites() throws {
        let keys = try CurveKeyPair(certificate: Self.pyzmqSecret)
        #expect(keys.publicKey == Self.pyzmqPair.publicKey)
        #expect(keys.secretKey == Self.pyzmqPair.secretKey)
        #expect(!CurveKeyPair.isLegacyKeyFile(Self.pyzmqSecret))
    }

    @Test func readsPyzmqsMetadataAndTheSecretCertificateCzmqWrites() throws {
        let cases = [(Self.pyzmqWithMetadata, Self.metadataPair), (Self.czmqSecret, Self.czmqPair)]
        for (text, pair) in cases {
            let keys = try CurveKeyPair(certificate: text)
            #expect(keys.publicKey == pair.publicKey)
            #expect(keys.secretKey == pair.secretKey)
        }
    }

    @Test func aPublicCertificateAsksForTheSecretOne() throws {
        let error = try #require(certificateError { _ = try CurveKeyPair(certificate: Self.pyzmqPublic) })
        #expect(error.code == .publicCertificate)
        #expect(error.description.contains("public certificate"))
        #expect(error.description.contains(".key_secret"), "\(error)")
    }

    @Test func certificatesWithCRLFQuotesCommentsAndTightSpacingAreRead() throws {
        let keys = Self.pyzmqPair
        let edited = [
            "# hand-edited", "", "curve   # the keys", "    # a comment inside the section",
            "    public-key='\(keys.publicKey)'   # single quotes, no spaces around =",
            "", "    secret-key =   \"\(keys.secretKey)\"\t", "metadata", "    note = a bare value  # and a comment",
        ].joined(separator: "\r\n")
        let read = try CurveKeyPair(certificate: edited)
        #expect(read.publicKey == keys.publicKey && read.secretKey == keys.secretKey)
        let carriageReturnsOnly = Self.pyzmqSecret.replacingOccurrences(of: "\n", with: "\r")
        #expect(try CurveKeyPair(certificate: carriageReturnsOnly).secretKey == keys.secretKey)
    }

    // MARK: - Writing

    @Test func writesTheLayoutCzmqAndPyzmqWriteAndReadsItBack() throws {
        let keys = try CurveKeyPair.generate()
        let date = Date(timeIntervalSince1970: 1_796_167_800)  // 2026-12-01 23:30 UTC
        let text = keys.secretCertificate(generatedBy: "test-tool", on: date)
        #expect(
            text == """
                #   ****  Generated on 2026-12-01 by test-tool  ****
                #   ZeroMQ CURVE **Secret** Certificate
                #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

                metadata
                curve
                    public-key = "\(keys.publicKey)"
                    secret-key = "\(keys.secretKey)"

                """)
        #expect(try CurveKeyPair(certificate: text) == keys)
        #expect(!CurveKeyPair.isLegacyKeyFile(text))
        // The same layout as pyzmq's, line for line after the date.
        let fixed = try CurveKeyPair(publicKey: Self.pyzmqPair.publicKey, secretKey: Self.pyzmqPair.secretKey)
        func lines(_ text: String) -> [Substring] {
            Array(text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst())
        }
        #expect(lines(fixed.secretCertificate(generatedBy: "pyzmq")) == lines(Self.pyzmqSecret))
    }

    @Test func aLineBreakInTheToolNameCannotAddAProperty() throws {
        let keys = try CurveKeyPair.generate()
        let text = keys.secretCertificate(generatedBy: "tool\ncurve\n    secret-key = \"x\"")
        #expect(text.split(separator: "\n").first?.hasPrefix("#") == true)
        #expect(try CurveKeyPair(certificate: text) == keys)
    }

    // MARK: - Malformed certificates

    @Test func malformedCertificatesSayWhereWhatAndWhatToDoButNeverTheSecret() throws {
        let a = Self.pyzmqPair
        let b = Self.metadataPair
        func certificate(_ curve: [String], metadata: [String] = []) -> String {
            (["#   ZeroMQ CURVE **Secret** Certificate", "", "metadata"] + metadata + ["curve"] + curve)
                .joined(separator: "\n") + "\n"
        }
        let pub = "    public-key = \"\(a.publicKey)\""
        let sec = "    secret-key = \"\(a.secretKey)\""
        typealias Code = CurveCertificateError.Code
        let cases: [(text: String, code: Code, line: Int?, says: String)] = [
            ("", .missingCurveSection, nil, "no `curve` section"),
            ("metadata\n\(pub)\n\(sec)\n", .missingCurveSection, nil, "not a CURVE certificate"),
            (
                "public-key = \"\(a.publicKey)\"\nsecret-key = \"\(a.secretKey)\"\n", .missingCurveSection, nil,
                "indent the keys by 4 spaces under a line `curve`"
            ),
            (certificate([sec]), .missingKey, nil, "no `public-key` under `curve` (line 4)"),
            (certificate([pub]), .publicCertificate, nil, "NAME.key_secret"),
            (certificate(["  " + pub, sec]), .indentation, 5, "indented by 6 spaces"),
            (certificate(["\t" + pub.dropFirst(4), sec]), .indentation, 5, "a tab in the indentation"),
            (certificate(["    " + pub, sec]), .indentation, 5, "the property before it allows at most 4"),
            (
                certificate([pub, "    secret-key = \"\(a.secretKey)"]), .unterminatedQuote, 6,
                "opens a \" at column 18 that the line never closes"
            ),
            (certificate([pub, "    secret-key = '\(a.secretKey)\""]), .unterminatedQuote, 6, "end the value with '"),
            (
                certificate([pub, "    secret-key = \"\(a.secretKey.dropLast())\""]), .invalidKey, 6,
                "secret-key: expected 40 Z85 characters, got 39"
            ),
            (
                certificate(["    public-key = \"\(String(repeating: "~", count: 40))\"", sec]), .invalidKey, 5,
                "public-key: not valid Z85 text"
            ),
            // Bare, the key's "#" starts a comment: what is left is too short, and the remedy says why.
            (certificate(["    public-key = \(a.publicKey)", sec]), .invalidKey, 5, "write the key in double quotes"),
            (
                certificate([pub, "    secret-key = \"\(b.secretKey)\""]), .keysDoNotMatch, 5,
                "does not belong to the secret key on line 6"
            ),
            (certificate([pub, sec, sec]), .repeated, 7, "a second `secret-key` (the first is on line 6)"),
            (certificate([pub, sec]) + "curve\n", .repeated, 7, "a second `curve` section"),
            (certificate([pub, "    secret-key \"\(a.secretKey)\""]), .syntax, 6, "column 16, after the name"),
            (certificate([pub, "    \"secret-key\" = \"\(a.secretKey)\""]), .syntax, 6, "column 5 cannot start"),
            (certificate([pub, sec + " \(b.secretKey)"]), .syntax, 6, "after the closing \""),
            (certificate([pub, sec], metadata: ["    /name = x"]), .syntax, 4, "starts or ends with /"),
        ]
        for (text, code, line, says) in cases {
            let caught = certificateError { _ = try CurveKeyPair(certificate: text) }
            let error = try #require(caught, "accepted: \(says)")
            #expect(error.code == code, "\(error) should be \(code)")
            #expect(error.line == line, "\(error) should be on line \(line.map(String.init) ?? "none")")
            #expect(error.description.contains(says), "\(error) should say \(says)")
            #expect(!error.remedy.isEmpty)
            for secret in Self.allSecrets {
                #expect(!error.description.contains(secret), "\(code) shows a secret key")
            }
        }
    }

    // MARK: - The ZPL reader

    @Test func readsTheSpecExampleIntoItsHierarchy() throws {
        let document = try ZPLDocument(
            parsing: """
                #   ZPL configuration file example
                #   This format is designed to be trivial to write and parse
                #
                context
                    iothreads = 1
                    verbose = 1      #   Ask for a trace

                main
                    type = zmq_queue
                    frontend
                        option
                            hwm = 1000
                            swap = 25000000
                            subscribe = "#2"
                        bind = tcp://eth0:5555
                    backend
                        bind = tcp://eth0:5556
                """)
        func path(_ names: String...) -> ZPLDocument.Property? {
            var parent: Int?
            for name in names {
                guard let next = document.children(of: parent, named: name).first else { return nil }
                parent = next
            }
            return parent.map { document[$0] }
        }
        #expect(document.children(of: nil).map { document[$0].name } == ["context", "main"])
        #expect(path("context", "verbose")?.value == "1")
        #expect(path("main", "frontend", "option", "swap")?.value == "25000000")
        #expect(path("main", "frontend", "option", "subscribe")?.value == "#2")
        #expect(path("main", "frontend", "option", "subscribe")?.isQuoted == true)
        #expect(path("main", "frontend", "bind")?.value == "tcp://eth0:5555")
        #expect(path("main", "backend", "bind")?.value == "tcp://eth0:5556")
        #expect(path("main", "backend", "bind")?.line == 17)
        #expect(path("main", "option") == nil, "option belongs to frontend, not main")
        #expect(path("main")?.value == "")
    }

    // MARK: - Legacy key files

    /// What `mpetl-coordinator keys` wrote before it wrote certificates.
    static func legacyKeyFile(_ keys: CurveKeyPair) -> String {
        """
        # MPETL cluster key pair: keep it secret, copy it to every host of the cluster.
        # ZeroMQ CURVE key pair (Z85). Keep this file private: it holds the secret key.
        public-key = \(keys.publicKey)
        secret-key = \(keys.secretKey)

        """
    }

    @Test func legacyKeyFilesAreStillReadAndRecognised() throws {
        let keys = try CurveKeyPair.generate()
        #expect(try CurveKeyPair(certificate: Self.legacyKeyFile(keys)) == keys)
        #expect(CurveKeyPair.isLegacyKeyFile(Self.legacyKeyFile(keys)))

        let edited =
            "\r\n# worker 3\r\n   \r\n  secret-key=\(keys.secretKey)  \r\n"
            + "\tpublic-key =\t\(keys.publicKey)\r\n"
        #expect(try CurveKeyPair(certificate: edited) == keys)
        #expect(CurveKeyPair.isLegacyKeyFile(edited))
        // A legacy line's "#" is part of the key, not a comment.
        let withHash = try CurveKeyPair(publicKey: Self.pyzmqPair.publicKey, secretKey: Self.pyzmqPair.secretKey)
        #expect(try CurveKeyPair(certificate: Self.legacyKeyFile(withHash)) == withHash)
    }

    @Test func malformedLegacyKeyFilesNameTheProblemButNeverTheSecret() throws {
        let a = try CurveKeyPair.generate()
        let b = try CurveKeyPair.generate()
        let cases: [(text: String, code: CurveCertificateError.Code, says: String)] = [
            ("public-key = \(a.publicKey)\n", .missingKey, "no `secret-key` line"),
            ("# comment\nsecret-key = \(a.secretKey)\n", .missingKey, "no `public-key` line"),
            ("public-key = \(a.publicKey)\nprivate-key = \(a.secretKey)\n", .syntax, "line 2: unknown name"),
            (
                "public-key = \(a.publicKey)\nsecret-key \(Self.pyzmqPair.secretKey.filter { $0 != "=" })\n", .syntax,
                "line 2: expected `name = value`"
            ),
            (
                "public-key = \(a.publicKey)\nsecret-key = \(a.secretKey)\nsecret-key = \(a.secretKey)\n", .repeated,
                "line 3: a second `secret-key` (the first is on line 2)"
            ),
            (
                "public-key = short\nsecret-key = \(a.secretKey)\n", .invalidKey,
                "line 1: public-key: expected 40 Z85 characters, got 5"
            ),
            (
                "public-key = \(a.publicKey)\nsecret-key = \(b.secretKey)\n", .keysDoNotMatch,
                "the public key does not belong to the secret key"
            ),
        ]
        for (text, code, says) in cases {
            #expect(CurveKeyPair.isLegacyKeyFile(text), "read as a certificate: \(says)")
            let error = try #require(certificateError { _ = try CurveKeyPair(certificate: text) }, "accepted: \(says)")
            #expect(error.code == code, "\(error) should be \(code)")
            #expect(error.description.contains(says), "\(error) should say \(says)")
            for secret in [a.secretKey, b.secretKey, Self.pyzmqPair.secretKey] {
                #expect(!error.description.contains(secret))
            }
        }
    }
}
