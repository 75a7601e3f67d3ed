import Foundation

/// How a program run on its own shows its pipelines' progress on standard error.
///
/// Off by default; `MPETL_PROGRESS=auto` (or `plain`) turns it on without touching the code,
/// and `Pipeline(progress: .auto)` from the code (the environment variable wins, so a user can
/// turn it off). Under `mpetl-coordinator launch`, the command shows progress and the program
/// does not.
///
/// ```swift
/// let pipeline = Pipeline(name: "orders", progress: .auto)
/// ```
public enum ProgressDisplay: String, Sendable, CaseIterable {
    /// Redrawn in place, once a second, when standard error is a terminal; plain lines
    /// otherwise.
    case auto
    /// A block of plain lines, prefixed `progress:`, every 5 seconds: for logs.
    case plain
    /// Nothing.
    case off

    /// What `MPETL_PROGRESS` says, if it is set to one of the modes (an unknown value is warned
    /// about once and ignored).
    static var fromEnvironment: ProgressDisplay? {
        guard let value = EnvironmentVariable.progress.value, !value.isEmpty else { return nil }
        if let mode = ProgressDisplay(rawValue: value.lowercased()) { return mode }
        Log.warning(
            "\(EnvironmentVariable.progress.name)=\(value) is not one of auto, plain, off; progress stays as the "
                + "program set it")
        return nil
    }

    /// The printer style this mode asks for here, nil for none.
    var style: ProgressPrinter.Style? {
        switch self {
        case .off: nil
        case .plain: .plain
        case .auto: isatty(STDERR_FILENO) == 1 ? .live : .plain
        }
    }
}
