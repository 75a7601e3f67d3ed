import Foundation
import MPETL

/// The coordinator's progress for `launch` and `serve`: MPETL's one renderer, over the
/// coordinator's snapshots, as `--progress` asks.
final class CoordinatorProgress {
    private let printer: ProgressPrinter?

    init(mode: ProgressMode) {
        printer =
            switch mode {
            case .off: nil
            case .live: ProgressPrinter(style: .live)
            case .plain, .auto: ProgressPrinter(style: .plain)
            }
    }

    func show(_ pipelines: [PipelineStats]) {
        guard !pipelines.isEmpty else { return }
        printer?.show(pipelines)
    }

    func finish(_ pipelines: [PipelineStats]) {
        printer?.finish(pipelines)
    }

    /// One snapshot's lines, without rates: for `status`.
    static func lines(_ pipelines: [PipelineStats]) -> [String] {
        ProgressRenderer.lines(ProgressTracker().update(pipelines), final: true)
    }
}
