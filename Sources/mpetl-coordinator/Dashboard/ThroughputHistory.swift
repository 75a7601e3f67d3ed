import MPETL

/// Each stage's rate over the last five minutes, per pipeline, kept by the server so that a
/// page opened or reloaded in the middle of a run draws its chart at once.
struct ThroughputHistory {
    /// Seconds of history kept.
    static let window = 300.0

    /// One pipeline's samples: `seconds[i]` is the pipeline's elapsed time when every stage's
    /// `rates[i]` was taken.
    struct Series: Encodable {
        var seconds: [Double] = []
        var stages: [Stage]
        /// Whether the pipeline has ended and its last sample is in: nothing more to record.
        fileprivate var ended = false

        struct Stage: Encodable {
            var name: String
            var rates: [Double] = []
        }

        private enum CodingKeys: String, CodingKey { case seconds, stages }
    }

    /// One per pipeline, in the coordinator's order (start order, which never changes).
    private(set) var series: [Series] = []

    /// Forgets the samples of the first `count` pipelines, which the page no longer shows: a
    /// `serve` coordinator sees pipelines without end.
    mutating func forget(first count: Int) {
        for index in series.indices.prefix(count) where !series[index].seconds.isEmpty {
            series[index] = Series(stages: [], ended: true)
        }
    }

    /// Adds a sample of every pipeline still running, and the last one of a pipeline that ended.
    mutating func record(_ progress: RunProgress) {
        for (index, pipeline) in progress.pipelines.enumerated() {
            let names = pipeline.stages.map(\.name)
            if index == series.count {
                series.append(Series(stages: names.map { Series.Stage(name: $0) }))
            }
            guard !series[index].ended, series[index].stages.map(\.name) == names else { continue }
            series[index].ended = pipeline.state == .finished || pipeline.state == .failed
            // A tenth of a second and a tenth of an item per second are as fine as a chart
            // draws, and keep the JSON small.
            series[index].seconds.append((pipeline.elapsedSeconds * 10).rounded() / 10)
            for (position, stage) in pipeline.stages.enumerated() {
                series[index].stages[position].rates.append((stage.rate * 10).rounded() / 10)
            }
            let oldest = series[index].seconds.firstIndex { $0 >= pipeline.elapsedSeconds - Self.window } ?? 0
            if oldest > 0 {
                series[index].seconds.removeFirst(oldest)
                for position in series[index].stages.indices {
                    series[index].stages[position].rates.removeFirst(oldest)
                }
            }
        }
    }
}
