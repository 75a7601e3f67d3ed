import ArgumentParser
import Foundation
import Metrics
import Prometheus
import ZeroMQ

/// `--metrics-listen ADDRESS:PORT`: the coordinator's per-stage metrics in Prometheus's text
/// format at `http://ADDRESS:PORT/metrics`.
///
/// The HTTP side is a ZeroMQ STREAM socket (plain TCP) answering each request once and closing:
/// Prometheus scrapes need nothing more, and it adds no HTTP stack to the build.
enum MetricsEndpoint {
    /// Bootstraps swift-metrics with a Prometheus registry and serves it on its own thread
    /// for the rest of the process's life.
    static func start(listening address: String) throws {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let context = try Context()
        let socket = try Socket(context, type: .stream)
        try socket.setLinger(milliseconds: 0)
        do {
            try socket.bind("tcp://\(address)")
        } catch {
            throw ValidationError("cannot serve metrics on \(address): \(error)")
        }
        let transfer = SocketTransfer(socket)
        Thread.detachNewThread { serve(transfer.take(), registry: registry) }
    }

    /// Hands the bound socket to the serving thread, which alone uses it from then on.
    private final class SocketTransfer: @unchecked Sendable {
        private var socket: Socket?
        init(_ socket: Socket) { self.socket = socket }
        func take() -> Socket {
            defer { socket = nil }
            return socket!
        }
    }

    private static func serve(_ socket: Socket, registry: PrometheusCollectorRegistry) {
        var requests: [[UInt8]: [UInt8]] = [:]
        while true {
            guard let frames = try? socket.receiveMultipart(), frames.count == 2 else { continue }
            let peer = frames[0]
            guard !frames[1].isEmpty else {
                requests[peer] = nil  // connected or gone
                continue
            }
            requests[peer, default: []] += frames[1]
            let request = requests[peer]!
            guard let end = request.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
            requests[peer] = nil
            let line = String(decoding: request[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n").first ?? ""
            let (status, body): (String, [UInt8]) =
                line.hasPrefix("GET /metrics")
                ? ("200 OK", registry.emitToBuffer())
                : ("404 Not Found", Array("metrics are at /metrics\n".utf8))
            let head =
                "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: "
                + "\(body.count)\r\nConnection: close\r\n\r\n"
            try? socket.send(multipart: [peer, Array(head.utf8) + body])
            try? socket.send(multipart: [peer, []])  // closes the connection
        }
    }
}
