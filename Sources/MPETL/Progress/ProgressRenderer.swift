/// Turns ``RunProgress`` into the lines a person reads: per pipeline its state, elapsed time,
/// items fed and finished (with a percentage, a bar and an ETA when the total is known) and
/// rate; per stage its items, smoothed rate, busy share, queue in items, errors, workers, lost
/// and replayed, and a mark on the stage that limits throughput; per host its workers, items
/// and rate; and the items running long. One renderer for `launch`, `serve` and a program run
/// on its own.
package enum ProgressRenderer {
    /// The mark on the stage that limits the pipeline's throughput.
    package static let bottleneckMark = "<- bottleneck"
    static let barWidth = 20

    /// `final`: the summary once the run ended (no rates, no ETA).
    package static func lines(_ progress: RunProgress, final: Bool = false) -> [String] {
        progress.pipelines.flatMap { lines($0, final: final) }
    }

    static func lines(_ pipeline: PipelineProgress, final: Bool) -> [String] {
        var head = "\(pipeline.name)  \(pipeline.state.rawValue)  \(duration(pipeline.elapsedSeconds))"
        head += "  fed \(count(pipeline.fed))"
        if let expected = pipeline.expected { head += " of \(count(expected))" }
        head += "  finished \(count(pipeline.finished))"
        if let fraction = pipeline.fraction {
            head += " (\(percent(fraction))) \(bar(fraction))"
            if !final, let eta = pipeline.etaSeconds { head += "  ETA \(duration(eta))" }
        }
        if !final { head += "  \(count(UInt64(pipeline.rate.rounded())))/s" }
        if let failure = pipeline.failure { head += "\n  failed: \(failure)" }
        var lines = [head]
        let nameWidth = max(5, pipeline.stages.map(\.name.count).max() ?? 0)
        let header =
            "  " + pad("stage", nameWidth, left: true) + pad("items", 12) + pad("out", 12)
            + (final ? "" : pad("rate/s", 10))
            + pad("busy", 6) + pad("queue", 9) + pad("errors", 8) + pad("workers", 9)
        lines.append(header)
        for stage in pipeline.stages {
            var line =
                "  " + pad(stage.name, nameWidth, left: true) + pad(count(stage.items), 12)
                + pad(count(stage.itemsOut), 12) + (final ? "" : pad(count(UInt64(stage.rate.rounded())), 10))
                + pad(percent(stage.busyShare, 0), 6)
                + pad(count(stage.queue), 9) + pad(count(stage.errors), 8) + pad("\(stage.workers)", 9)
            let notes =
                (stage.workersLost > 0 ? ["lost \(stage.workersLost)"] : [])
                + (stage.replayed > 0 ? ["replayed \(count(stage.replayed))"] : [])
            if !notes.isEmpty { line += "  " + notes.joined(separator: ", ") }
            if stage.isBottleneck { line += "  \(bottleneckMark)" }
            lines.append(line)
            for long in stage.longRunning.sorted(by: { $0.seconds > $1.seconds }) {
                lines.append(
                    "    running \(duration(long.seconds)): item \(long.item.prefix(80)) (worker pid \(long.pid) on "
                        + "\(long.host))")
            }
        }
        for host in pipeline.hosts {
            var line = "  host \(host.host): \(host.workers) worker\(host.workers == 1 ? "" : "s"), "
            line += "\(count(host.items)) items"
            if !final { line += ", \(count(UInt64(host.rate.rounded())))/s" }
            lines.append(line)
        }
        return lines
    }

    /// "0.4s", "12s", "1m 05s", "2h 03m".
    package static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 10 { return "\((seconds * 10).rounded() / 10)s" }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3_600 { return "\(whole / 60)m \(twoDigits(whole % 60))s" }
        return "\(whole / 3_600)h \(twoDigits(whole / 60 % 60))m"
    }

    /// 1234567 → "1,234,567".
    package static func count(_ value: UInt64) -> String {
        let digits = String(value)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return grouped
    }

    /// 0.4567 → "45.7%" (`decimals` 1) or "46%" (0).
    static func percent(_ fraction: Double, _ decimals: Int = 1) -> String {
        let clamped = min(1, max(0, fraction.isFinite ? fraction : 0))
        if decimals == 0 { return "\(Int((clamped * 100).rounded()))%" }
        return "\((clamped * 1_000).rounded() / 10)%"
    }

    static func bar(_ fraction: Double) -> String {
        let filled = Int((min(1, max(0, fraction)) * Double(barWidth)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: barWidth - filled) + "]"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + padding + " " : padding + text
    }
}
