import Foundation
import Testing

@testable import MPETL

/// The process contract is written down once in code and once for people; they must agree.
@Suite("Environment contract")
struct EnvironmentContractTests {
    @Test func theDocumentedVariablesAreExactlyTheOnesTheCodeReads() throws {
        let documentation = try String(contentsOfFile: Self.repositoryFile("docs/environment.md"), encoding: .utf8)
        let documented = Set(
            documentation.split(separator: "\n")
                .filter { $0.hasPrefix("| `MPETL_") }
                .compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) })
        #expect(documented == Set(EnvironmentVariable.allCases.map(\.name)))
    }

    @Test func noSourceFileNamesAVariableOutsideTheContract() throws {
        let sources = URL(fileURLWithPath: Self.repositoryFile("Sources"))
        let known = Set(EnvironmentVariable.allCases.map(\.name))
        var strays: [String] = []
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)!
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: /"(MPETL_[A-Z_]+)"/) where !known.contains(String(match.1)) {
                strays.append("\(file.lastPathComponent): \(match.1)")
            }
        }
        #expect(strays.isEmpty, "variables missing from EnvironmentVariable: \(strays)")
    }

    static func repositoryFile(_ path: String) -> String {
        // #filePath is Tests/MPETLTests/System/<this file>.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(path).path
    }
}
