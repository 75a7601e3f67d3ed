import Foundation
import Logging
import Synchronization
import SystemPackage

/// MPETL's logging, through swift-log, in every process of a pipeline.
///
/// Each line carries the process id and host, and in workers the pipeline and stage. A
/// process logs through the application's `Logger` when it gave one
/// (``Pipeline/init(name:maxSize:logger:progress:)``); otherwise lines go to standard error, one
/// `write(2)` each so lines of many processes never interleave, at the level in
/// `MPETL_LOG_LEVEL` (`trace` … `critical`, default `info`). MPETL never bootstraps the
/// logging system: that is the application's to do.
enum Log {
    private static let state = Mutex(State())

    private struct State {
        /// The application's logger, once it gave one.
        var adopted: Logger?
        /// The logger in use, with this process's metadata; rebuilt when either changes.
        var logger: Logger?
        var metadata: Logger.Metadata = [:]
        var warnedLevel = false
    }

    static var level: Logger.Level {
        EnvironmentVariable.logLevel.value.flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
    }

    /// The process's logger, built on first use with the current handler and metadata.
    static var logger: Logger {
        state.withLock { state in
            if let logger = state.logger { return logger }
            var logger: Logger
            if let adopted = state.adopted {
                logger = adopted
            } else {
                logger = Logger(label: "mpetl", factory: { StandardErrorLineHandler(label: $0) })
                logger.logLevel = level
            }
            logger[metadataKey: "pid"] = "\(getpid())"
            logger[metadataKey: "host"] = "\(Syscalls.hostName)"
            for (key, value) in state.metadata { logger[metadataKey: key] = value }
            if state.adopted == nil, !state.warnedLevel, let text = EnvironmentVariable.logLevel.value,
                Logger.Level(rawValue: text.lowercased()) == nil
            {
                state.warnedLevel = true
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                let message =
                    "\(EnvironmentVariable.logLevel.name)=\(text) is not a level; logging at info "
                    + "(give one of \(levels))"
                logger.warning("\(message)")
            }
            state.logger = logger
            return logger
        }
    }

    /// Logs through the application's `logger` from now on. The first one given wins: the
    /// coordinator and agents a process runs serve all of its pipelines, so one logger
    /// serves them too.
    static func adopt(_ logger: Logger) {
        state.withLock {
            guard $0.adopted == nil else { return }
            $0.adopted = logger
            $0.logger = nil
        }
    }

    /// Adds metadata to every later line of this process (a worker's pipeline and stage).
    static func add(_ metadata: Logger.Metadata) {
        state.withLock {
            $0.metadata.merge(metadata) { $1 }
            $0.logger = nil
        }
    }

    static func warning(_ message: @autoclosure () -> String, _ metadata: Logger.Metadata? = nil) {
        logger.warning("\(message())", metadata: metadata)
    }

    static func info(_ message: @autoclosure () -> String, _ metadata: Logger.Metadata? = nil) {
        logger.info("\(message())", metadata: metadata)
    }

    static func debug(_ message: @autoclosure () -> String, _ metadata: Logger.Metadata? = nil) {
        logger.debug("\(message())", metadata: metadata)
    }
}

/// The default handler: `mpetl[PID] LEVEL: message key=value …` on standard error.
struct StandardErrorLineHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let pid = merged.removeValue(forKey: "pid").map { "\($0)" } ?? "\(getpid())"
        let fields = merged.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        let text = "mpetl[\(pid)] \(event.level): \(event.message)\(fields)\n"
        // One write(2) per line, so lines from many processes do not interleave.
        var line = text
        _ = line.withUTF8 { try? FileDescriptor.standardError.write(UnsafeRawBufferPointer($0)) }
    }
}
