import MPETL

/// What the dashboard shows, as ``ProgressSource`` makes it: the shape, field for field, of
/// MPETL's coming `RunProgress`, which replaces it (see ``ProgressSource``).
struct RunView: Encodable {
    var pipelines: [Pipeline]

    struct Pipeline: Encodable {
        var name: String
        var state: PipelineStats.State
        var failure: String?
        var elapsedSeconds: Double
        var fed: UInt64
        var finished: UInt64
        var expected: UInt64?
        var fraction: Double?
        var etaSeconds: Double?
        var rate: Double
        var stages: [Stage]
        var hosts: [Host]
    }

    struct Stage: Encodable {
        var name: String
        var items: UInt64
        var itemsOut: UInt64
        var rate: Double
        var busyShare: Double
        var queue: UInt64
        var errors: UInt64
        var workers: Int
        var workersLost: Int
        var replayed: UInt64
        var isBottleneck: Bool
        var longRunning: [LongRunningItem]
    }

    struct Host: Encodable {
        var host: String
        var workers: Int
        var items: UInt64
        var rate: Double
    }
}
