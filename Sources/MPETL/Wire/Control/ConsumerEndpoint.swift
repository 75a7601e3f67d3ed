import ZeroMQ

/// A worker of the next stage as a producer sees it: which one, and where to push to it.
struct ConsumerEndpoint: Codable, Equatable, Sendable {
    var worker: Int
    var endpoint: Endpoint
}
