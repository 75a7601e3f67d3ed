import Foundation
import Synchronization

/// Shows a program's running pipelines' progress on standard error, on a thread of its own,
/// while any runs; the summary follows once the last one ended, printed by whichever comes
/// first: the thread, or the `join()` that ended it (so a program that exits right after
/// joining still prints it). At most one per process at a time.
final class ProgressReporter: Sendable {
    private static let current = Mutex<ProgressReporter?>(nil)

    private struct State {
        /// The sessions shown, by run id.
        var shown: [String: DriverSession] = [:]
        var summarized = false
    }

    private let style: ProgressPrinter.Style
    private let state = Mutex(State())
    /// Held while printing, so the thread and a `join()` never interleave their lines.
    private let printer: Mutex<ProgressPrinter>

    private init(style: ProgressPrinter.Style) {
        self.style = style
        printer = Mutex(ProgressPrinter(style: style))
    }

    /// Shows `session` with the others, starting a reporter if none runs.
    static func show(_ session: DriverSession, style: ProgressPrinter.Style) {
        let started: ProgressReporter? = current.withLock { current in
            if let current {
                current.state.withLock { $0.shown[session.run.id] = session }
                return nil
            }
            let reporter = ProgressReporter(style: style)
            reporter.state.withLock { $0.shown[session.run.id] = session }
            current = reporter
            return reporter
        }
        guard let started else { return }
        let thread = Thread { started.run() }
        thread.name = "mpetl-progress"
        thread.start()
    }

    /// `session` was joined: prints the summary now if it was the last one running.
    static func joined(_ session: DriverSession) {
        current.withLock { $0 }?.summarizeIfAllEnded()
    }

    private var sessions: [DriverSession] {
        state.withLock { $0.shown.values.sorted { $0.ordinal < $1.ordinal } }
    }

    private func run() {
        let interval: Duration = style == .live ? .seconds(1) : .seconds(5)
        while !summarizeIfAllEnded() {
            let sessions = sessions
            let stats = sessions.map { $0.stats() }
            printer.withLock { $0.show(stats) }
            // Checked often, so the summary follows the end at once rather than up to 5 s later.
            let deadline = ContinuousClock.now + interval
            while ContinuousClock.now < deadline, !sessions.allSatisfy(\.run.isDone) {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    /// Prints the summary once, if every session shown has ended; true once it was printed
    /// (by this call or another).
    @discardableResult
    private func summarizeIfAllEnded() -> Bool {
        let due: [DriverSession]? = Self.current.withLock { current in
            state.withLock { state in
                if state.summarized { return [] }
                guard state.shown.values.allSatisfy(\.run.isDone) else { return nil }
                state.summarized = true
                // A pipeline started from now on gets a reporter of its own.
                if current === self { current = nil }
                return state.shown.values.sorted { $0.ordinal < $1.ordinal }
            }
        }
        guard let due else { return false }
        if !due.isEmpty {
            let stats = due.map { $0.stats() }
            printer.withLock { $0.finish(stats) }
        }
        return true
    }
}
