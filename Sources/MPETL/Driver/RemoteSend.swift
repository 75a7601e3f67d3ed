import Foundation
import ZeroMQ

/// `Pipeline.send` from a driver to a named pipeline another program runs (through a shared
/// coordinator): the driver acts as an external sender. It resolves the name, pushes the
/// items straight to the receiver's first-stage workers, closes the link with its batch
/// count, and returns once the coordinator says every batch was counted.
enum RemoteSend {
    static func send<Items: Sequence>(_ name: String, _ items: Items, runtime: DriverRuntime) throws
    where Items.Element: Encodable {
        let routeReply = ControlReply<SendRoute>()
        runtime.agent.enqueue(.resolve(name: name, reply: routeReply))
        let route = try routeReply.wait()
        let linkReply = ControlReply<Void>()
        runtime.agent.enqueue(.watchLink(producer: route.producer, reply: linkReply))
        let given = String(describing: Items.Element.self)
        guard given == route.input.typeName else {
            runtime.agent.enqueue(.closeLink(producer: route.producer, batches: 0))
            throw PipelineError(code: .typeMismatch, pipeline: name,
                                reason: "Pipeline.send was given \(given) but the first stage of \"\(name)\" takes \(route.input.typeName); send \(route.input.typeName) values")
        }
        let endpoints = reachable(route.endpoints)
        guard !endpoints.isEmpty else {
            runtime.agent.enqueue(.closeLink(producer: route.producer, batches: 0))
            throw PipelineError(code: .transportFailed, pipeline: name,
                                reason: "\"\(name)\" listens only on another host's ipc:// sockets; run its program with MPETL_ADVERTISE=ITS_ADDRESS")
        }
        let socket = try ClusterSecurity.socket(runtime.context, type: .push, role: .client)
        try socket.setLinger(milliseconds: 0)  // every batch is acknowledged before the socket closes
        if route.input.highWaterMark > 0 { try socket.setSendHighWaterMark(route.input.highWaterMark) }
        try socket.connect(endpoints, waitingUpTo: 30_000)
        let sender = BatchSender(socket: socket, pipeline: route.ordinal, stage: 0, producer: route.producer,
                                 chunkSize: route.input.chunkSize) { socket in
            // The receiver is full: wait, but notice if it failed instead of waiting forever.
            let poller = Poller()
            poller.add(socket, events: .writable)
            while try poller.poll(timeoutMilliseconds: 100) == 0 {
                if let failure = linkReply.failure { throw failure }
            }
        }
        do {
            for item in items { try sender.append(item) }
            try sender.flush()
        } catch {
            // Close with what was sent, so the receiver does not wait for the rest.
            runtime.agent.enqueue(.closeLink(producer: route.producer, batches: sender.batchesSent))
            throw error
        }
        runtime.agent.enqueue(.closeLink(producer: route.producer, batches: sender.batchesSent))
        try linkReply.wait()
    }

    /// The `ipc://` endpoints whose socket files exist here, or else the `tcp://` ones.
    static func reachable(_ endpoints: [String]) -> [String] {
        let local = endpoints.filter { $0.hasPrefix("ipc://") && FileManager.default.fileExists(atPath: String($0.dropFirst("ipc://".count))) }
        return local.isEmpty ? endpoints.filter { $0.hasPrefix("tcp://") } : local
    }
}
