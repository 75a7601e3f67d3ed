/// How many worker processes run a stage.
///
/// Write a number, or ask for one process per core:
///
/// ```swift
/// pipeline.addTask(processes: 4) { (line: String) in line.uppercased() }
/// pipeline.addTask(processes: .perCore) { (line: String) in line.count }
/// ```
public struct ProcessCount: ExpressibleByIntegerLiteral, Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable {
        case fixed(Int)
        case perCore
    }
    let kind: Kind

    /// A fixed number of processes: `processes: 4`.
    public init(integerLiteral value: Int) { kind = .fixed(value) }

    /// Exactly `count` processes.
    public static func count(_ count: Int) -> ProcessCount { ProcessCount(kind: .fixed(count)) }

    /// One process per core of the machine that runs the stage.
    public static let perCore = ProcessCount(kind: .perCore)

    init(kind: Kind) { self.kind = kind }

    /// The number of processes on this machine.
    var resolved: Int {
        switch kind {
        case .fixed(let count): count
        case .perCore: max(1, Syscalls.processorCount)
        }
    }

    /// The count, or `perCore (N)`.
    public var description: String {
        switch kind {
        case .fixed(let count): "\(count)"
        case .perCore: "per core"
        }
    }
}
