import Foundation

/// Writes progress to standard error: redrawn in place on a terminal (`live`), or as blocks of
/// plain lines prefixed `progress:` (for logs), then a summary once the run ended. Used by
/// `mpetl-coordinator launch` and `serve`, and by a program run on its own.
package final class ProgressPrinter {
    package enum Style: Sendable {
        case live, plain
    }

    private let style: Style
    private let tracker = ProgressTracker()
    private var drawnLines = 0
    private let write: (String) -> Void
    private let columns: () -> Int?

    /// - Parameter columns: the terminal's width, asked before each redraw (it may change).
    package init(
        style: Style, write: @escaping (String) -> Void = ProgressPrinter.writeToStandardError,
        columns: @escaping () -> Int? = { Syscalls.terminalColumns() }
    ) {
        self.style = style
        self.write = write
        self.columns = columns
    }

    package static func writeToStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Shows `pipelines` as of `now`.
    package func show(_ pipelines: [PipelineStats], at now: ContinuousClock.Instant = .now) {
        let progress = tracker.update(pipelines, at: now)
        guard !progress.pipelines.isEmpty else { return }
        let lines = ProgressRenderer.lines(progress)
        switch style {
        case .live:
            // Up over what was drawn last, and clear to the end: the block is redrawn in place.
            // Each line is cut to the terminal's width: a line that wrapped would take rows the
            // next redraw does not go up over, and the old block would stay on screen.
            var rows = lines.flatMap { $0.split(separator: "\n", omittingEmptySubsequences: false) }
            if let width = columns(), width > 1 {
                rows = rows.map { $0.count < width ? $0 : $0.prefix(width - 2) + "…" }
            }
            var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A\u{1B}[J" : ""
            text += rows.joined(separator: "\n") + "\n"
            drawnLines = rows.count
            write(text)
        case .plain:
            write(lines.map { "progress: " + $0 }.joined(separator: "\n") + "\n")
        }
    }

    /// Replaces the live block with the final summary of `pipelines`.
    package func finish(_ pipelines: [PipelineStats], at now: ContinuousClock.Instant = .now) {
        if style == .live, drawnLines > 0 { write("\u{1B}[\(drawnLines)A\u{1B}[J") }
        drawnLines = 0
        let lines = ProgressRenderer.lines(tracker.update(pipelines, at: now), final: true)
        write(
            (["summary: \(pipelines.count) pipeline(s)"] + lines.map { "summary: " + $0 }).joined(separator: "\n")
                + "\n")
    }
}
