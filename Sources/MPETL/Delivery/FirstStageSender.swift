import ZeroMQ

extension BatchSender {
    /// A sender into another program's named pipeline from a driver (an external `Pipeline.send`
    /// link): a PUSH connected to every endpoint. When the stage is full it waits for room,
    /// but gives up with the error `failure` returns as soon as there is one, instead of
    /// waiting for a stage that will never drain.
    static func intoFirstStage(
        context: Context, endpoints: [Endpoint], highWaterMark: Int, pipeline: UInt32,
        producer: UInt32, chunkSize: Int,
        failure: @escaping () -> PipelineError?
    ) throws -> BatchSender {
        let socket = try ClusterSecurity.socket(context, type: .push, role: .client)
        if highWaterMark > 0 { try socket.setSendHighWaterMark(highWaterMark) }
        // Closing never drops a counted batch: the receiver's count decides when it is done.
        try socket.setLinger(milliseconds: 0)
        try socket.connect(endpoints.map(\.description), waitingUpTo: 30_000)
        let transport = LinkTransport(socket: socket) { socket in
            let poller = Poller()
            poller.add(socket, events: .writable)
            while try poller.poll(timeoutMilliseconds: 100) == 0 {
                if let failure = failure() { throw failure }
            }
        }
        let sender = BatchSender(
            transport: transport, pipeline: pipeline, stage: 0, producer: producer, chunkSize: chunkSize)
        sender.startItem(id: UInt64(producer) ^ ItemID.sendSalt)
        return sender
    }
}
