/// Where a worker slot lives and who it is, for errors and stats.
struct WorkerAddress: Codable, Equatable, Hashable, Sendable {
    var pipeline: String
    var stage: Int
    var worker: Int

    /// The sender address of a program outside any pipeline (another language, say) that
    /// feeds a named pipeline through `resolve` and `sendsClosed`.
    static let external = WorkerAddress(pipeline: "external", stage: -1, worker: 0)
    var isExternal: Bool { stage == -1 }
}
