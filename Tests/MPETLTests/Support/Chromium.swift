import Foundation

/// Headless Chromium from Debian's packages (`scripts/ensure-chromium` installs it): loads a page
/// as a person's browser would, runs its script, and gives back the page it drew or a picture of it.
enum Chromium {
    /// The `chromium` on PATH, if any.
    static var path: String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return folders.map { "\($0)/chromium" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Under CI a missing browser is a failure, not a skip: CI must run the browser tests.
    static var required: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The page at `url` as its script left it after `budget` of the page's time (timers run
    /// ahead; the page's own requests are waited for).
    static func dumpDOM(_ url: String, budget: Duration = .seconds(3)) throws -> String {
        try run(["--virtual-time-budget=\(Int(budget / .milliseconds(1)))", "--dump-dom", url]).standardOutput
    }

    /// Writes a PNG of the page at `url`, drawn in a window of `width` × `height`.
    static func screenshot(_ url: String, to file: URL, width: Int = 1280, height: Int = 900) throws {
        _ = try run([
            "--virtual-time-budget=3000", "--hide-scrollbars", "--window-size=\(width),\(height)",
            "--screenshot=\(file.path)", url,
        ])
    }

    private static func run(_ arguments: [String]) throws -> ProgramRun {
        guard let path else { throw Missing() }
        // A profile of its own per run: two browsers never share one, and nothing is left in $HOME.
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("mpetl-chromium-\(UUID())")
        defer { try? FileManager.default.removeItem(at: profile) }
        let run = try Programs.run(
            path,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage",
                "--user-data-dir=\(profile.path)",
            ] + arguments, timeout: .seconds(90))
        guard run.status == 0 else { throw Failed(status: run.status, standardError: run.standardError) }
        return run
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "chromium is not installed; scripts/ensure-chromium installs it" }
    }

    struct Failed: Error, CustomStringConvertible {
        var status: Int32
        var standardError: String
        var description: String { "chromium exited with status \(status): \(standardError.suffix(2000))" }
    }
}

/// The page a browser drew, read the way a person reads it: rows of tables and the text in
/// their cells.
struct RenderedPage {
    let html: String

    /// The visible text of each cell of the row `<tr … data-KEY="VALUE">`, or nil if there is none.
    func row(_ key: String, _ value: String) -> [String]? {
        let pattern = "<tr[^>]*data-\(key)=\"([^\"]*)\"[^>]*>(.*?)</tr>"
        let expression = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        let whole = NSRange(html.startIndex..., in: html)
        for match in expression.matches(in: html, range: whole) {
            guard let name = Range(match.range(at: 1), in: html), let cells = Range(match.range(at: 2), in: html),
                Self.text(html[name]) == value
            else { continue }
            return html[cells].components(separatedBy: "<td").dropFirst().map { Self.text("<td" + $0) }
        }
        return nil
    }

    /// Every text a person sees on the page, tags stripped.
    var text: String { Self.text(html[...]) }

    /// A count as the page writes it (`12,345`).
    static func number(_ text: String) -> Int? {
        Int(text.replacingOccurrences(of: ",", with: "").trimmingCharacters(in: .whitespaces))
    }

    private static func text(_ html: some StringProtocol) -> String {
        let stripped = html.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
        return
            stripped
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&amp;", with: "&")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
