import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `launch --dashboard`: the page as a person sees it in a real browser, and the options around it.
@Suite("Dashboard", .serialized)
struct DashboardTests {
    /// The fast and the slow stage of the `unbalanced` scenario.
    static let fastStage = "parse"
    static let slowStage = "enrich"
    /// The worker host the test starts beside the driver's.
    static let otherHost = "dashboard-host-b"

    @Test(
        .enabled(
            if: Chromium.path != nil || Chromium.required,
            "chromium is not installed (scripts/ensure-chromium installs it; under CI=true this fails)"))
    func aPersonSeesTheStagesGrowingCountsTheBottleneckAndTheHosts() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mpetl-dashboard-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let program = Programs.url("mpetl-test-programs").path
        // 20 ms an item in the slow stage: it limits the run even on a machine so busy that the
        // fast stage and the feed get a fraction of a core.
        let scenario = ["unbalanced", "--items", "1000000", "--slow-us", "20000"]
        let endpoint = WorkerHostTests.freeEndpoint(11)
        let workerHost = try Programs.launch(
            "mpetl-coordinator",
            [
                "worker", "--connect", endpoint, "--slots", "2", "--name", Self.otherHost, "--advertise", "127.0.0.1",
                "--", program,
            ] + scenario)
        defer { workerHost.killAndClean() }
        let launch = try Programs.launch(
            "mpetl-coordinator",
            [
                "launch", "--listen", endpoint, "--wait-workers", "2", "--progress", "off", "--dashboard",
                "127.0.0.1:0", "--", program,
            ] + scenario)
        defer { launch.killAndClean() }
        let url = try Self.dashboardURL(of: launch)

        // The page as a person sees it once the coordinator has watched the slow stage busy for
        // a few seconds and both hosts at work: loaded again (each load takes a second or two)
        // until it shows that, since the busy shares behind the mark move with the machine's load.
        var first = RenderedPage(html: "")
        let shown = waitUntil(timeout: .seconds(90)) {
            first = RenderedPage(html: (try? Chromium.dumpDOM(url)) ?? "")
            return first.row("stage", Self.slowStage)?.first?.contains("bottleneck") ?? false
                && (first.row("host", Self.otherHost).flatMap { RenderedPage.number($0[2]) } ?? 0) > 0
        }
        #expect(shown, "the slow stage marked and the worker host at work: \(first.text)")
        let host = ProcessInfo.processInfo.hostName
        let fast = try #require(first.row("stage", Self.fastStage), "no row for the fast stage: \(first.text)")
        let slow = try #require(first.row("stage", Self.slowStage), "no row for the slow stage: \(first.text)")
        #expect(first.text.contains("unbalanced"), "the page names the program")
        #expect(first.text.contains("running"))
        #expect(slow[0].contains("bottleneck"), "the slow stage is marked: \(slow)")
        #expect(!fast[0].contains("bottleneck"), "the fast stage is not: \(fast)")
        let hostRow = try #require(first.row("host", host), "no row for this host (\(host)): \(first.text)")
        #expect((RenderedPage.number(hostRow[1]) ?? 0) >= 4, "its workers: \(hostRow)")
        let firstItems = try #require(RenderedPage.number(slow[1]), "\(slow)")
        let firstHostItems = try #require(RenderedPage.number(hostRow[2]), "\(hostRow)")
        #expect(firstItems > 0 && firstHostItems > 0, "slow \(slow), host \(hostRow)")
        let other = try #require(first.row("host", Self.otherHost), "\(first.text)")
        #expect(RenderedPage.number(other[1]) == 2, "the worker host's two slots: \(other)")
        let firstOtherItems = try #require(RenderedPage.number(other[2]), "\(other)")

        // Again once the coordinator has counted more items: the page shows them.
        let more = waitUntil(timeout: .seconds(60)) {
            Self.finished(in: (try? Self.progress(url)) ?? "") > firstItems + 100
        }
        #expect(more)
        let second = RenderedPage(html: try Chromium.dumpDOM(url))
        let slowAgain = try #require(second.row("stage", Self.slowStage), "\(second.text)")
        let hostAgain = try #require(second.row("host", host), "\(second.text)")
        #expect((RenderedPage.number(slowAgain[1]) ?? 0) > firstItems, "\(slow) then \(slowAgain)")
        #expect((RenderedPage.number(hostAgain[2]) ?? 0) > firstHostItems, "\(hostRow) then \(hostAgain)")
        let otherAgain = try #require(second.row("host", Self.otherHost), "\(second.text)")
        #expect((RenderedPage.number(otherAgain[2]) ?? 0) > firstOtherItems, "\(other) then \(otherAgain)")
        #expect(second.text.contains("Items per second, by stage") && second.html.contains("<polyline"))

        let screenshot = folder.appendingPathComponent("dashboard.png")
        try Chromium.screenshot(url, to: screenshot)
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG")
        print("dashboard screenshot: \(screenshot.path)")

        // Ctrl-C ends the program, and the dashboard with it.
        kill(launch.pid, SIGINT)
        let ended = try launch.finish(within: .seconds(30))
        #expect(ended.status == 130, "stderr: \(ended.standardError.suffix(2000))")
    }

    @Test func theDashboardServesPrometheusMetricsToo() throws {
        let launch = try Programs.launch(
            "mpetl-coordinator",
            [
                "launch", "--progress", "off", "--dashboard", "127.0.0.1:0", "--",
                Programs.url("mpetl-test-programs").path, "unbalanced", "--items", "1000000",
            ])
        defer { launch.killAndClean() }
        let url = try Self.dashboardURL(of: launch)
        var text = ""
        let served = waitUntil(timeout: .seconds(60)) {
            text = (try? String(contentsOf: URL(string: url + "metrics")!, encoding: .utf8)) ?? ""
            return text.contains("mpetl_items_in{pipeline=\"pipeline #0\",stage=\"\(Self.slowStage)\"}")
        }
        #expect(served, "\(text.prefix(2000))")
        let page = try String(contentsOf: URL(string: url)!, encoding: .utf8)
        #expect(
            page.contains("<title>MPETL dashboard</title>") && !page.contains("http://") && !page.contains("https://"))
    }

    @Test func aClusterWithKeysShowsItsDashboardOnlyToWhoeverHasTheToken() throws {
        let keys = try WorkerHostTests.keyFile("dashboard-token")
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let launch = try Programs.launch(
            "mpetl-coordinator",
            [
                "launch", "--keys", keys, "--progress", "off", "--dashboard", "127.0.0.1:0", "--",
                Programs.url("mpetl-test-programs").path, "unbalanced", "--items", "1000000",
            ])
        defer { launch.killAndClean() }
        let printed = try Self.dashboardURL(of: launch)
        let parts = printed.components(separatedBy: "?token=")
        try #require(parts.count == 2, "the printed address carries the token: \(printed)")
        let (base, token) = (parts[0], parts[1])
        let computed = try Programs.run(
            "mpetl-coordinator", ["keys", "--dashboard-token", "--from", keys], timeout: .seconds(30))
        #expect(computed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == token)

        for path in ["", "progress.json", "metrics", "?token=\(String(token.reversed()))"] {
            let refused = try HTTPFetch.get(base + path)
            #expect(refused.status == 401, "\(path): \(refused.status) \(refused.body.prefix(200))")
            #expect(refused.body.contains("--dashboard-token"), "says what to do: \(refused.body)")
        }
        let wrong = try HTTPFetch.get(base + "metrics", headers: ["Authorization": "Bearer \(token.reversed())"])
        #expect(wrong.status == 401 && wrong.body.contains("is not this cluster's"), "\(wrong.body)")
        let lowercase = try HTTPFetch.get(base + "metrics", headers: ["Authorization": "bearer \(token)"])
        #expect(lowercase.status == 200, "the scheme's name is case-insensitive")
        let opened = try HTTPFetch.get(printed)
        #expect(opened.status == 303 && opened.header("Location") == "/", "\(opened.headers)")
        let cookie = try #require(opened.header("Set-Cookie")?.split(separator: ";").first.map(String.init))
        #expect(cookie == "mpetl_dashboard=\(token)" && opened.header("Set-Cookie")?.contains("HttpOnly") == true)
        let page = try HTTPFetch.get(base, headers: ["Cookie": cookie])
        #expect(page.status == 200 && page.body.contains("<title>MPETL dashboard</title>"))
        let progress = try HTTPFetch.get(base + "progress.json", headers: ["Cookie": cookie])
        #expect(progress.status == 200 && progress.body.contains("\"pipelines\""), "\(progress.body.prefix(300))")
        var metrics: HTTPReply?
        let scraped = waitUntil(timeout: .seconds(60)) {
            metrics = try? HTTPFetch.get(base + "metrics", headers: ["Authorization": "Bearer \(token)"])
            return metrics?.status == 200 && metrics?.body.contains("mpetl_items_in{") == true
        }
        #expect(scraped, "\(metrics.map { "\($0.status) \($0.body.prefix(300))" } ?? "no answer")")
        // In a browser: the printed address opens the page, whose script then reads the stages
        // with the cookie; the bare address shows only the refusal.
        if Chromium.path != nil {
            // Once the page's data shows the pipeline (the feed refreshes once a second).
            #expect(
                waitUntil(timeout: .seconds(60)) {
                    (try? HTTPFetch.get(base + "progress.json", headers: ["Cookie": cookie]))?.body.contains(
                        Self.slowStage) == true
                })
            let page = try Chromium.dumpDOM(printed)
            #expect(page.contains(Self.slowStage), "the page drew the stages: \(page.prefix(3000))")
            #expect(try !Chromium.dumpDOM(base).contains(Self.slowStage))
        }
    }

    @Test(arguments: [
        (["--dashboard", "10.1.2.3:8080"], "can be reached from other hosts"),
        (["--dashboard", "0.0.0.0:8080"], "--dashboard-public"),
        (["--dashboard", "8080"], "--dashboard takes ADDRESS:PORT"),
        (["--dashboard", "127.0.0.1:99999"], "a port from 0 to 65535"),
        (["--dashboard-public"], "--dashboard-public goes with --dashboard"),
    ])
    func aDashboardOptionThatCannotBeServedSaysWhatToGive(arguments: [String], message: String) throws {
        let run = try Programs.run(
            "mpetl-coordinator", ["launch"] + arguments + ["--", "/bin/true"], timeout: .seconds(30))
        #expect(run.status == 64, "stderr: \(run.standardError)")
        #expect(run.standardError.contains(message), "stderr: \(run.standardError)")
    }

    @Test func aDashboardPortInUseIsAClearError() throws {
        let first = try Programs.launch(
            "mpetl-coordinator",
            ["serve", "--listen", "ipc://@mpetl-dashboard-\(getpid())", "--dashboard", "127.0.0.1:0"])
        defer { first.killAndClean() }
        let url = try Self.dashboardURL(of: first)
        let address = String(url.dropFirst("http://".count).dropLast())
        let second = try Programs.run(
            "mpetl-coordinator", ["launch", "--dashboard", address, "--", "/bin/true"], timeout: .seconds(30))
        #expect(second.status == 64, "stderr: \(second.standardError)")
        #expect(second.standardError.contains("cannot serve the dashboard (--dashboard) on \(address)"))
        #expect(second.standardError.lowercased().contains("address already in use"), "\(second.standardError)")
    }

    /// The URL the command printed once its dashboard listened.
    static func dashboardURL(of program: RunningProgram) throws -> String {
        var url: String?
        let printed = waitUntil(timeout: .seconds(30)) {
            url =
                program.errorSoFar.split(separator: "\n").lazy.compactMap { line in
                    line.range(of: "dashboard at ").map { String(line[$0.upperBound...]) }
                }.first
            return url != nil
        }
        #expect(printed, "stderr: \(program.errorSoFar)")
        return try #require(url)
    }

    static func progress(_ url: String) throws -> String {
        try String(contentsOf: URL(string: url + "progress.json")!, encoding: .utf8)
    }

    /// The `items` of the slow stage in a `progress.json`, 0 if it has none yet.
    static func finished(in json: String) -> Int {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
            let progress = object["progress"] as? [String: Any],
            let pipelines = progress["pipelines"] as? [[String: Any]],
            let stages = pipelines.first?["stages"] as? [[String: Any]]
        else { return 0 }
        return stages.first { $0["name"] as? String == slowStage }?["items"] as? Int ?? 0
    }
}
