/// A worker host introducing itself: what it can run and for which program.
struct WorkerHostInfo: Codable, Equatable, Sendable {
    var host: String
    var slots: Int
    /// The program's file name: a host only joins pipelines of a program with that name.
    var program: String
}
