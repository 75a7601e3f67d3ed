/// The first stage's input as a sender must produce it.
struct StageInput: Codable, Equatable, Sendable {
    var typeName: String
    var chunkSize: Int
    /// 0 keeps libzmq's default.
    var highWaterMark: Int
}
