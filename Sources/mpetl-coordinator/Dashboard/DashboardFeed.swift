import Foundation
import Hummingbird
import MPETL
import ServiceLifecycle
import Synchronization

/// What `GET /progress.json` serves: the progress view and the throughput history, made once a
/// second from the coordinator's snapshot by this service beside the server, so that a request
/// only copies bytes and any number of open pages cost the coordinator nothing more.
final class DashboardFeed: Service, Sendable {
    /// The page shows at most this many pipelines, the latest: a `serve` coordinator keeps every
    /// pipeline it has seen.
    static let shownPipelines = 20

    private let title: String
    private let snapshot: @Sendable () -> ([PipelineStats], [WorkerHostStatus])
    private let latest = Mutex(ByteBuffer(string: "{}"))

    /// - Parameters:
    ///   - title: what the page is about, e.g. the program `launch` runs.
    ///   - snapshot: the coordinator's pipelines and connected worker hosts now.
    init(title: String, snapshot: @escaping @Sendable () -> ([PipelineStats], [WorkerHostStatus])) {
        self.title = title
        self.snapshot = snapshot
    }

    /// The latest `progress.json`.
    var json: ByteBuffer { latest.withLock { $0 } }

    func run() async throws {
        let tracker = ProgressTracker()
        var history = ThroughputHistory()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Cancelled when the server fails; shut down gracefully when the command stops it.
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            let (pipelines, workerHosts) = snapshot()
            let progress = tracker.update(pipelines, at: .now)
            history.record(progress)
            let older = max(0, progress.pipelines.count - Self.shownPipelines)
            history.forget(first: older)
            var shown = progress
            shown.pipelines.removeFirst(older)
            let document = Document(
                title: title, coordinatorHost: ProcessInfo.processInfo.hostName, progress: shown,
                history: Array(history.series.dropFirst(older)), workerHosts: workerHosts, olderPipelines: older)
            if let data = try? encoder.encode(document) {
                latest.withLock { $0 = ByteBuffer(bytes: data) }
            }
            // Either ends the pause early; the loop's condition then ends the service.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    /// The JSON document, as the page's script reads it.
    private struct Document: Encodable {
        var title: String
        var coordinatorHost: String
        var progress: RunProgress
        /// One entry per pipeline in `progress`, in the same order.
        var history: [ThroughputHistory.Series]
        var workerHosts: [WorkerHostStatus]
        /// Pipelines left out before the first shown.
        var olderPipelines: Int
    }
}

/// The dashboard server's routes besides `/metrics`.
enum DashboardRoutes {
    static func add(to router: Router<BasicRequestContext>, feed: DashboardFeed) {
        let page = ByteBuffer(string: DashboardPage.html)
        router.get("/") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: page))
        }
        router.get("progress.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                body: .init(byteBuffer: feed.json))
        }
    }
}
