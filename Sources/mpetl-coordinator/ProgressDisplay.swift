import Foundation
import MPETL

/// Renders coordinator snapshots: redrawn in place on a terminal (`live`), as periodic blocks
/// of plain lines otherwise, or not at all; and a final summary unless off.
final class ProgressDisplay {
    private let mode: ProgressMode
    private var previous: [String: (items: UInt64, at: ContinuousClock.Instant)] = [:]
    private var drawnLines = 0

    init(mode: ProgressMode) {
        self.mode = mode
    }

    func show(_ pipelines: [PipelineStats]) {
        guard mode != .off, !pipelines.isEmpty else { return }
        let lines = render(pipelines)
        if mode == .live {
            var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A\u{1B}[J" : ""
            text += lines.joined(separator: "\n") + "\n"
            drawnLines = lines.count
            write(text)
        } else {
            write(lines.map { "progress: " + $0 }.joined(separator: "\n") + "\n")
        }
    }

    func finish(_ pipelines: [PipelineStats]) {
        guard mode != .off else { return }
        if mode == .live, drawnLines > 0 { write("\u{1B}[\(drawnLines)A\u{1B}[J") }
        drawnLines = 0
        let lines = render(pipelines, rates: false)
        write(
            (["summary: \(pipelines.count) pipeline(s)"] + lines.map { "summary: " + $0 }).joined(separator: "\n")
                + "\n")
    }

    /// One line per pipeline, then one per stage: workers per host, items in and out, rate,
    /// queue depth (items), errors, and workers lost if any; under a stage, one line per item a
    /// worker has been running for a second or more.
    func render(_ pipelines: [PipelineStats], rates: Bool = true) -> [String] {
        let now = ContinuousClock.now
        var lines: [String] = []
        for pipeline in pipelines {
            lines.append(
                "\(pipeline.pipeline) [\(pipeline.state.rawValue)]" + (pipeline.failure.map { ": \($0)" } ?? ""))
            for stage in pipeline.stages {
                let key = "\(pipeline.pipeline)/\(stage.label)"
                var rate = ""
                if rates, let last = previous[key] {
                    let seconds =
                        Double((now - last.at).components.attoseconds) / 1e18
                        + Double((now - last.at).components.seconds)
                    if seconds > 0 { rate = "  \(Int(Double(stage.itemsIn &- last.items) / seconds))/s" }
                }
                previous[key] = (stage.itemsIn, now)
                let hosts = stage.workersPerHost.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(
                    separator: ",")
                let lost = stage.workersLost > 0 ? "  lost \(stage.workersLost) (replayed)" : ""
                lines.append(
                    "  \(stage.label)  workers \(hosts.isEmpty ? "0" : hosts)  in \(stage.itemsIn)  out "
                        + "\(stage.itemsOut)\(rate)  queue \(stage.queueDepth)  errors \(stage.errors)\(lost)"
                )
                for long in stage.longRunning.sorted(by: { $0.seconds > $1.seconds }) {
                    lines.append(
                        "    running \(Int(long.seconds)) s: item \(long.item.prefix(80)) (worker pid \(long.pid) on "
                            + "\(long.host))"
                    )
                }
            }
        }
        return lines
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
