import CProcessShims
import Foundation
import SystemPackage
import ZeroMQ

#if canImport(Glibc)
    import Glibc
#endif

// The process calls MPETL makes outside ZeroMQ, in one file: spawning workers, watching them
// exit, and tying them to their parent. Descriptors are read and closed, and errno reported,
// through swift-system; what it does not offer (posix_spawn, pidfd, waitpid, mmap, prctl)
// is called here directly or through the CProcessShims target.

/// How a child process ended.
enum ExitStatus: Codable, Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)
    /// Its host stopped answering: no status will ever come.
    case lost

    init(waitStatus status: Int32) {
        let signal = status & 0x7f
        self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    }

    var isSuccess: Bool { self == .exited(0) }

    /// Whether the kernel's OOM killer may have ended it (it sends SIGKILL, as people do).
    var mayBeOutOfMemory: Bool { self == .signaled(SIGKILL) }

    /// Whether the process ended itself: a crash signal (a bad access, an abort, a trap) or a
    /// failing exit status, as code it ran can cause. Signals that come from outside (SIGKILL,
    /// SIGTERM, SIGINT, SIGHUP: a person, a supervisor, the OOM killer) and a lost host are not:
    /// they say nothing about the item the process was running.
    var isSelfInflicted: Bool {
        switch self {
        case .exited(let code): code != 0
        case .signaled(let signal): [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS].contains(signal)
        case .lost: false
        }
    }

    var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        case .lost:
            "stopped answering: its host was silent for longer than the heartbeat timeout "
                + "(\(EnvironmentVariable.heartbeatTimeout.name), --heartbeat-timeout; network link down, or the host "
                + "gone)"
        }
    }
}

/// An error from a process call: the function and swift-system's `Errno`.
struct SystemCallError: Error, CustomStringConvertible {
    var function: String
    var errno: Errno

    init(function: String, code: Int32) {
        self.function = function
        errno = Errno(rawValue: code)
    }

    var description: String { "\(function) failed: \(errno) [errno \(errno.rawValue)]" }
}

enum Syscalls {
    /// Starts `executable` with `arguments` (argv[0] included) and `environment`, its standard
    /// input reading /dev/null and its output and error shared with this process.
    /// Each of `handing` is a descriptor of this process and the number the child gets it as.
    static func spawn(
        executable: String, arguments: [String], environment: [String: String],
        handing: [(descriptor: Int32, as: Int32)] = []
    ) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for handed in handing { posix_spawn_file_actions_adddup2(&actions, handed.descriptor, handed.as) }

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for argument in argv { free(argument) }
            for variable in envp { free(variable) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw SystemCallError(function: "posix_spawn \(executable)", code: result) }
        return pid
    }

    /// A new anonymous shared-memory file of `size` bytes, mapped into this process: the
    /// descriptor (close-on-exec) to hand to a child, and the mapping, which outlives it.
    /// - Throws: ``SystemCallError`` when the kernel refuses (descriptors or memory run out).
    static func sharedMemory(named name: String, size: Int) throws -> (
        descriptor: Int32, memory: UnsafeMutableRawPointer
    ) {
        let descriptor = mpetl_shared_memory_file(name, off_t(size))
        guard descriptor >= 0 else { throw SystemCallError(function: "memfd_create", code: errno) }
        do {
            return (descriptor, try mapShared(descriptor, size: size))
        } catch {
            closeDescriptor(descriptor)
            throw error
        }
    }

    /// Maps `size` bytes of the shared-memory file `descriptor`, readable and writable.
    static func mapShared(_ descriptor: Int32, size: Int) throws -> UnsafeMutableRawPointer {
        guard let memory = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), memory != MAP_FAILED
        else {
            throw SystemCallError(function: "mmap", code: errno)
        }
        return memory
    }

    static func unmap(_ memory: UnsafeMutableRawPointer, size: Int) {
        _ = munmap(memory, size)
    }

    /// A descriptor that becomes readable when `pid` exits; for a child, or for any process
    /// of this pid namespace (a peer found local by ``ProcessIdentity``).
    /// - Throws: ``SystemCallError`` with `ESRCH` when no such process runs.
    static func exitDescriptor(for pid: pid_t) throws -> Int32 {
        let descriptor = mpetl_pidfd_open(pid)
        guard descriptor >= 0 else { throw SystemCallError(function: "pidfd_open", code: errno) }
        return descriptor
    }

    /// Reaps `pid` if it has exited; nil while it runs. With `waiting`, waits for it to exit.
    static func reap(_ pid: pid_t, waiting: Bool = false) -> ExitStatus? {
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, waiting ? 0 : WNOHANG)
            if result == pid { return ExitStatus(waitStatus: status) }
            if result == -1 && errno == EINTR { continue }
            // ECHILD: someone else reaped it; its status is lost but it is gone.
            if result == -1 { return .exited(-1) }
            return nil
        }
    }

    static func kill(_ pid: pid_t, signal: Int32) {
        _ = Glibc.kill(pid, signal)
    }

    static func closeDescriptor(_ descriptor: Int32) {
        try? FileDescriptor(rawValue: descriptor).close()
    }

    /// Makes the kernel send `signal` to this process when the thread that spawned it exits.
    static func dieWithParent(signal: Int32 = SIGKILL) {
        _ = mpetl_set_parent_death_signal(signal)
    }

    /// The running program's GNU build id in hex (what `readelf -n` shows), nil without one.
    static let buildID: String? = {
        var bytes = [UInt8](repeating: 0, count: 64)
        let length = Int(mpetl_build_id(&bytes, Int32(bytes.count)))
        guard length > 0 else { return nil }
        return bytes.prefix(length).map {
            String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16)
        }.joined()
    }()

    /// Names the calling thread as `top -H`, `ps -L` and /proc show it (15 bytes at most).
    static func nameCurrentThread(_ name: String) {
        _ = mpetl_set_thread_name(name)
    }

    /// Handles `signals` from now on by writing each one's number into a pipe; returns the
    /// pipe's read end (non-blocking) to poll. The handler is in place when this returns, so
    /// no signal in between is lost.
    static func watchStopSignals(_ signals: [Int32]) throws -> Int32 {
        var readEnd: Int32 = -1
        guard mpetl_watch_stop_signals(signals, Int32(signals.count), &readEnd) == 0 else {
            throw SystemCallError(function: "sigaction", code: errno)
        }
        return readEnd
    }

    /// A descriptor any thread may make readable (``signalEvent(_:)``) to wake a thread
    /// polling it; ``clearEvent(_:)`` makes it unreadable again.
    static func eventDescriptor() throws -> Int32 {
        let descriptor = mpetl_event_descriptor()
        guard descriptor >= 0 else { throw SystemCallError(function: "eventfd", code: errno) }
        return descriptor
    }

    /// Makes an ``eventDescriptor()`` readable. (It only fails once its count is near 2^64.)
    static func signalEvent(_ descriptor: Int32) {
        _ = mpetl_signal_event(descriptor)
    }

    /// Makes an ``eventDescriptor()`` unreadable until signalled again.
    static func clearEvent(_ descriptor: Int32) {
        _ = mpetl_clear_event(descriptor)
    }

    /// Reads what is waiting in a non-blocking descriptor (at most 64 bytes).
    static func readAvailable(_ descriptor: Int32) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 64)
        // EAGAIN (nothing waiting) and EINTR both mean: nothing now.
        let count =
            (try? buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: descriptor).read(into: $0) }) ?? 0
        return Array(buffer.prefix(count))
    }

    /// The calling thread's kernel id (`/proc/self/task/ID`).
    static var threadID: pid_t { mpetl_thread_id() }

    static var processID: pid_t { getpid() }
    static var parentProcessID: pid_t { getppid() }

    /// The running program's own executable, as the kernel knows it.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// This host's name in stats and errors: `MPETL_HOST` when set (worker hosts set it from
    /// `--name`), else the system's host name.
    static var hostName: String {
        if let label = EnvironmentVariable.host.value { return label }
        return ProcessInfo.processInfo.hostName
    }

    /// The local address this host uses to reach a `tcp://HOST:PORT` endpoint (a UDP
    /// "connect" picks the route without sending anything).
    static func localAddress(towards endpoint: Endpoint) -> String? {
        guard let host = endpoint.tcpHost, let port = endpoint.tcpPort else { return nil }
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = port.bigEndian
        if inet_pton(AF_INET, host, &remote.sin_addr) != 1 {
            // A host name: resolve it (IPv4, as the cluster's addresses are).
            var hints = addrinfo()
            hints.ai_family = AF_INET
            hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
            var found: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, nil, &hints, &found) == 0, let first = found, let address = first.pointee.ai_addr
            else { return nil }
            defer { freeaddrinfo(found) }
            remote.sin_addr = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
        }
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        defer { closeDescriptor(descriptor) }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
        guard inet_ntop(AF_INET, &local.sin_addr, &text, socklen_t(text.count)) != nil else { return nil }
        return String(decoding: text.prefix { $0 != 0 }.map(UInt8.init(bitPattern:)), as: UTF8.self)
    }

    /// What makes two processes local to each other: the same boot, pid namespace and network
    /// namespace (see ``ProcessIdentity``). Empty parts, where /proc hides them, make it unique
    /// to this process, which is the safe side: a peer that cannot be watched is judged remote.
    static var kernelScope: String {
        let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let pidNamespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
        let netNamespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        guard let boot, let pidNamespace, let netNamespace else { return "unknown-\(getpid())-\(UUID().uuidString)" }
        return "\(boot)/\(pidNamespace)/\(netNamespace)"
    }

    /// Whether a Unix socket listens at `path` here: a file, or a name in this network
    /// namespace's abstract socket space (`@…`, as MPETL's run sockets are).
    static func isListening(ipcPath path: String) -> Bool {
        guard path.hasPrefix("@") else { return FileManager.default.fileExists(atPath: path) }
        // Read to the end: String(contentsOfFile:) stops after the first page of a /proc file.
        guard let handle = FileHandle(forReadingAtPath: "/proc/net/unix"), let table = try? handle.readToEnd() else {
            return false
        }
        try? handle.close()
        return String(decoding: table, as: UTF8.self).split(separator: "\n").contains { $0.hasSuffix(" \(path)") }
    }

    /// This process's limit on open file descriptors (RLIMIT_NOFILE), nil if unlimited.
    static var descriptorLimit: Int? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(Int.max) else {
            return nil
        }
        return Int(limit.rlim_cur)
    }

    /// How many file descriptors this process has open.
    static var openDescriptorCount: Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
    }

    static var processorCount: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// Flushes C standard output and error, which a worker's `print` writes through.
    static func flushStandardStreams() { fflush(nil) }

    /// Ends the process by `signal`, after flushing standard streams: how a program that
    /// caught SIGINT or SIGTERM to clean up should end, so that its parent knows it was
    /// interrupted rather than done (a shell loop stops; `launch` exits 128 + signal). Nothing
    /// else runs after it: no exit handlers race the process's other threads.
    static func endBySignal(_ signal: Int32) -> Never {
        fflush(nil)
        Glibc.signal(signal, SIG_DFL)
        var only = sigset_t()
        sigemptyset(&only)
        sigaddset(&only, signal)
        pthread_sigmask(SIG_UNBLOCK, &only, nil)
        _ = Glibc.kill(getpid(), signal)
        // Only reached if the signal cannot end the process (SIGKILL is never caught here).
        _exit(128 + signal)
    }

    /// Ends the process now, after flushing standard streams.
    static func exitProcess(_ code: Int32) -> Never {
        fflush(nil)
        Glibc.exit(code)
    }

    /// Whether `pid` is stopped (SIGSTOP, Ctrl-Z, a debugger): its state in `/proc/PID/stat`
    /// is `T` or `t`. False when it cannot be read (it exited).
    static func isStopped(_ pid: pid_t) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/stat") else { return false }
        defer { try? handle.close() }
        guard let data = try? handle.readToEnd() else { return false }
        // "PID (COMM) STATE ...": the command may hold spaces and parentheses, the state follows the last ")".
        guard let close = data.lastIndex(of: UInt8(ascii: ")")), close + 2 < data.endIndex else { return false }
        let state = data[close + 2]
        return state == UInt8(ascii: "T") || state == UInt8(ascii: "t")
    }

    /// The width in columns of the terminal `descriptor` is, nil when it is none (or says 0).
    static func terminalColumns(of descriptor: Int32 = STDERR_FILENO) -> Int? {
        var size = winsize()
        guard ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return nil }
        return Int(size.ws_col)
    }
}
