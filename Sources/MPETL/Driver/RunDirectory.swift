import Foundation

nonisolated(unsafe) private var runDirectoryToRemove: String?

/// A private folder for this driver's `ipc://` sockets, removed when the driver exits.
///
/// `ipc://` paths must be absolute and short (about 100 bytes), so it lives directly in /tmp.
enum RunDirectory {
    static func create() throws -> String {
        var template = Array("/tmp/mpetl-\(Syscalls.processID)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SystemCallError(function: "mkdtemp /tmp/mpetl-*", code: errno)
        }
        let path = String(cString: made)
        runDirectoryToRemove = path
        atexit {
            if let path = runDirectoryToRemove { try? FileManager.default.removeItem(atPath: path) }
        }
        return path
    }
}
