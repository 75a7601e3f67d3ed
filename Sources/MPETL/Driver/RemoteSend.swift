import Foundation
import ZeroMQ

/// `Pipeline.send` from a driver to a named pipeline another program runs (through a shared
/// coordinator): the driver acts as an external sender. It resolves the name, pushes the
/// items straight to the receiver's first-stage workers, closes the link with its batch
/// count, and returns once the coordinator says every batch was counted.
enum RemoteSend {
    static func send<Items: Sequence>(_ name: String, _ items: Items, runtime: DriverRuntime) throws
    where Items.Element: Encodable {
        let routeReply = OneShot<SendRoute, PipelineError>()
        runtime.agent.enqueue(.resolve(name: name, reply: routeReply))
        let route = try routeReply.wait()
        let linkReply = OneShot<Void, PipelineError>()
        runtime.agent.enqueue(.watchLink(producer: route.producer, reply: linkReply))
        do {
            try route.check(Items.Element.self)
        } catch {
            runtime.agent.enqueue(.closeLink(producer: route.producer, batches: 0))
            throw error
        }
        let endpoints = reachable(route.endpoints)
        guard !endpoints.isEmpty else {
            runtime.agent.enqueue(.closeLink(producer: route.producer, batches: 0))
            throw PipelineError(
                code: .transportFailed, pipeline: name,
                reason:
                    "\"\(name)\" listens only on another host's ipc:// sockets; run its program with "
                    + "MPETL_ADVERTISE=ITS_ADDRESS"
            )
        }
        let sender = try BatchSender.intoFirstStage(
            context: runtime.context, endpoints: endpoints, highWaterMark: route.input.highWaterMark,
            pipeline: route.ordinal, producer: route.producer, chunkSize: route.input.chunkSize
        ) { linkReply.failure }
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

    /// The `ipc://` endpoints that listen here, or else the `tcp://` ones.
    static func reachable(_ endpoints: [Endpoint]) -> [Endpoint] {
        let local = endpoints.filter(\.isListeningHere)
        return local.isEmpty ? endpoints.filter { !$0.isLocal } : local
    }
}
