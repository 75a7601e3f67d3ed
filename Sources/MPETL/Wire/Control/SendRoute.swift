import ZeroMQ

/// How a process pushes items to a named pipeline: resolved once by the coordinator, then
/// used directly, batch after batch, with no hop through the coordinator.
struct SendRoute: Codable, Equatable, Sendable {
    var name: String
    var pipeline: String
    var ordinal: UInt32
    /// The producer id this link stamps on its batches; the receiver counts them by it.
    var producer: UInt32
    /// Every first-stage link endpoint (PULL) the sender can reach, for a counted link's
    /// single PUSH.
    var endpoints: [Endpoint]
    /// Each first-stage worker's input (ROUTER): an acknowledged link has a DEALER per worker.
    var consumers: [ConsumerEndpoint] = []
    var input: StageInput

    /// Refuses items of another type than the named pipeline's first stage takes, before any
    /// is sent (the receiver would only find out when it failed to decode them).
    func check<Item>(_ type: Item.Type) throws(PipelineError) {
        let given = String(describing: Item.self)
        guard given == input.typeName else {
            throw PipelineError(
                code: .typeMismatch, pipeline: name,
                reason:
                    "Pipeline.send was given \(given) but the first stage of \"\(name)\" takes \(input.typeName); send "
                    + "\(input.typeName) values"
            )
        }
    }
}
