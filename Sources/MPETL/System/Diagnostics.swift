#if canImport(Glibc)
import Glibc
#endif

/// Messages for the operator on standard error, prefixed with the process they come from.
enum Diagnostics {
    static func log(_ message: String) {
        let line = "mpetl[\(getpid())]: \(message)\n"
        // One write(2) per line, so lines from many processes do not interleave.
        _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    }
}
