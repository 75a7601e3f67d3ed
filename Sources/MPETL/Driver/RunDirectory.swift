import Foundation

/// The name space of this process's `ipc://` sockets: a prefix in Linux's abstract socket
/// namespace (`ipc://@mpetl-PID-RANDOM/…`).
///
/// Abstract sockets have no file: the kernel drops each with the last descriptor on it, so a
/// process ended any way at all (SIGKILL included) leaves nothing behind in /tmp, and there is
/// no folder to create, clean or race for. They are private to the network namespace, as the
/// processes that use them (a driver or worker host and its workers) are.
enum RunDirectory {
    static func create() throws -> String {
        let random = UInt64.random(in: 0...UInt64.max)
        return "@mpetl-\(Syscalls.processID)-\(String(random, radix: 36))"
    }
}
