import Foundation
import Testing

@testable import MPETL

/// Error codes are a closed set whose wire form is the name, so a peer's code is one of ours
/// or the message is refused.
@Suite("Error codes")
struct ErrorCodeTests {
    @Test func everyCodeTravelsAsItsNameAndComesBackEqual() throws {
        for code in PipelineError.Code.all {
            let encoded = try JSONEncoder().encode([code])
            #expect(String(decoding: encoded, as: UTF8.self) == "[\"\(code.description)\"]")
            #expect(try JSONDecoder().decode([PipelineError.Code].self, from: encoded) == [code])
        }
    }

    @Test func namesAreUnique() {
        let names = PipelineError.Code.all.map(\.description)
        #expect(Set(names).count == names.count)
        #expect(names.contains("stage failed") && names.contains("timed out"))
    }

    @Test func anUnknownNameIsRefusedNamingIt() {
        #expect {
            try JSONDecoder().decode([PipelineError.Code].self, from: Data("[\"stage faild\"]".utf8))
        } throws: { error in
            "\(error)".contains("unknown error code \"stage faild\"")
        }
    }
}
