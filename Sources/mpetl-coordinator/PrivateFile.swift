import Foundation
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

// The file system calls of `keys`, in one place: swift-system's where it has them (open, write,
// close), the C library's for those it lacks (fsync, rename, unlink), all reporting `Errno`.

/// A file only its owner may read and write (mode 0600), for secrets such as the cluster's key.
///
/// The file is created by the `open` call itself, with `O_CREAT | O_EXCL` and mode 0600: there
/// is no moment when it exists with wider permissions, and no check-then-write race with
/// another writer of the same path (or a symbolic link planted there, which `O_EXCL` refuses).
enum PrivateFile {
    /// Writes `contents` to a new file at `path`.
    ///
    /// With `replacing`, the contents go to a new private file in the same directory, which
    /// then replaces `path` in one `rename`: a reader sees the old file or the new one, never a
    /// part, and the new one is 0600 whatever the old one's mode was.
    ///
    /// ```swift
    /// try PrivateFile.write(keys.secretCertificate(), to: "cluster.key", replacing: false)
    /// ```
    /// - Throws: `Errno`: `.fileExists` when `path` exists and `replacing` is false; whatever
    ///   `open`, `write`, `fsync` or `rename` reported otherwise. Nothing is left behind then.
    static func write(_ contents: String, to path: String, replacing: Bool) throws(Errno) {
        let target = FilePath(path)
        guard replacing else {
            try create(target, contents)
            return
        }
        let temporary = try createTemporary(beside: target, contents)
        do {
            try call { rename(temporary.string, target.string) }
        } catch {
            _ = unlink(temporary.string)
            throw error
        }
    }

    /// Creates a private file with `contents` under an unused name in `target`'s directory.
    private static func createTemporary(beside target: FilePath, _ contents: String) throws(Errno) -> FilePath {
        let name = target.lastComponent?.string ?? "file"
        var attempts = 0
        while true {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let temporary = target.removingLastComponent().appending(".\(name).\(getpid()).\(suffix).tmp")
            do {
                try create(temporary, contents)
                return temporary
            } catch .fileExists where attempts < 3 {
                // Someone else's file: another random name, a few times at most.
                attempts += 1
            }
        }
    }

    /// Creates `path` with mode 0600 in the open call, writes and syncs `contents`, and removes
    /// the file again if any of that fails.
    private static func create(_ path: FilePath, _ contents: String) throws(Errno) {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                path, .writeOnly, options: [.create, .exclusiveCreate], permissions: .ownerReadWrite)
        } catch {
            throw error as? Errno ?? .ioError
        }
        var failure: Errno?
        do {
            try descriptor.writeAll(contents.utf8)
            // Synced before a rename makes it the key: after a crash, the old file or the whole new one.
            try call { fsync(descriptor.rawValue) }
        } catch {
            failure = error as? Errno ?? .ioError
        }
        do {
            try descriptor.close()
        } catch {
            failure = failure ?? (error as? Errno ?? .ioError)
        }
        if let failure {
            _ = unlink(path.string)
            throw failure
        }
    }

    /// Runs a C call that returns -1 with errno on failure, retrying it on EINTR.
    private static func call(_ body: () -> Int32) throws(Errno) {
        while body() == -1 {
            let code = Errno(rawValue: errno)
            if code != .interrupted { throw code }
        }
    }
}
