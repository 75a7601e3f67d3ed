import Foundation

/// Signal handling the subcommands share.
enum Signals {
    /// Lets SIGINT and SIGTERM through, which a parent (a test runner, a service manager) may
    /// have left blocked: masks are inherited, and this command must stop when told to.
    static func unblockStopSignals() {
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
    }
}
