import Metrics

/// Per-stage metrics through swift-metrics, from the counters the coordinator already keeps:
/// items in and out, errors, malformed batches and workers lost (counters), queue depth and
/// workers (gauges), and the batches finished and the seconds spent on them in the stage body
/// (counters: their rates' ratio is the average batch time, and seconds over wall time per
/// worker is how busy the stage is; the coordinator sees totals, not single batches), each with
/// `pipeline` and `stage` dimensions. The application chooses the backend by bootstrapping
/// `MetricsSystem`; `mpetl-coordinator --metrics-listen` serves them to Prometheus.
struct CoordinatorMetrics {
    private struct Stage {
        let itemsIn: Counter
        let itemsOut: Counter
        let errors: Counter
        let malformed: Counter
        let workersLost: Counter
        let queueDepth: Gauge
        let workers: Gauge
        let batches: Counter
        let busySeconds: FloatingPointCounter
        var last: StageStats?
    }

    private var stages: [String: Stage] = [:]

    /// Records what changed since the last call.
    mutating func record(_ pipelines: [PipelineStats]) {
        for pipeline in pipelines {
            for stats in pipeline.stages {
                let key = "\(pipeline.pipeline)\u{1f}\(stats.label)"
                var stage = stages[key] ?? Self.makeStage(pipeline: pipeline.pipeline, stage: stats.label)
                let last = stage.last
                stage.itemsIn.increment(by: Int64(clamping: stats.itemsIn &- (last?.itemsIn ?? 0)))
                stage.itemsOut.increment(by: Int64(clamping: stats.itemsOut &- (last?.itemsOut ?? 0)))
                stage.errors.increment(by: Int64(clamping: stats.errors &- (last?.errors ?? 0)))
                stage.malformed.increment(by: Int64(clamping: stats.malformed &- (last?.malformed ?? 0)))
                stage.workersLost.increment(by: Int64(max(0, stats.workersLost - (last?.workersLost ?? 0))))
                stage.queueDepth.record(Double(stats.queueDepth))
                stage.workers.record(Double(stats.workers))
                stage.batches.increment(by: Int64(clamping: stats.batches &- min(stats.batches, last?.batches ?? 0)))
                stage.busySeconds.increment(by: max(0, stats.busySeconds - (last?.busySeconds ?? 0)))
                stage.last = stats
                stages[key] = stage
            }
        }
    }

    private static func makeStage(pipeline: String, stage: String) -> Stage {
        let dimensions = [("pipeline", pipeline), ("stage", stage)]
        return Stage(
            itemsIn: Counter(label: "mpetl_items_in", dimensions: dimensions),
            itemsOut: Counter(label: "mpetl_items_out", dimensions: dimensions),
            errors: Counter(label: "mpetl_errors", dimensions: dimensions),
            malformed: Counter(label: "mpetl_malformed_batches", dimensions: dimensions),
            workersLost: Counter(label: "mpetl_workers_lost", dimensions: dimensions),
            queueDepth: Gauge(label: "mpetl_queue_depth_items", dimensions: dimensions),
            workers: Gauge(label: "mpetl_workers", dimensions: dimensions),
            batches: Counter(label: "mpetl_batches", dimensions: dimensions),
            busySeconds: FloatingPointCounter(label: "mpetl_busy_seconds", dimensions: dimensions))
    }
}
