import Hummingbird
import Metrics
import Prometheus

/// The coordinator's per-stage metrics in Prometheus's text format, at `GET /metrics` on the
/// dashboard's server and on `--metrics-listen`'s.
enum PrometheusMetrics {
    /// Makes swift-metrics record into a Prometheus registry. Once per process, and before the
    /// coordinator starts: it makes each stage's metrics when the stage's pipeline registers.
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// Answers `GET /metrics` with what `registry` holds at that moment.
    static func route(_ router: Router<BasicRequestContext>, registry: PrometheusCollectorRegistry) {
        router.get("metrics") { _, _ in
            var body = ByteBuffer()
            body.writeBytes(registry.emitToBuffer())
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: body))
        }
    }
}
