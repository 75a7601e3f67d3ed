import Foundation
import Synchronization

/// The clock every process of a run shares (CLOCK_MONOTONIC is per machine, not per process),
/// so a worker can tell how long ago the driver fed an item.
enum SharedClock {
    static var nanoseconds: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// CPU time this thread has used, for burning an exact amount of it.
    static var threadCPUNanoseconds: UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Computes for about `microseconds` of CPU time: a calibrated loop, not a clock-polling
    /// one, since reading the thread's CPU clock is a system call that would itself be most of
    /// the work (and contend on the scheduler's lock with every other process).
    static func burnCPU(microseconds: Int) {
        var state = UInt64(microseconds)
        for _ in 0..<(iterationsPerMicrosecond * microseconds) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        }
        sink.store(state, ordering: .relaxed)
    }

    /// Keeps the loop's result alive so the optimiser cannot remove the loop.
    private static let sink = Atomic<UInt64>(0)

    /// Measured once per process: how many loop steps take a microsecond of CPU here.
    private static let iterationsPerMicrosecond: Int = {
        let steps = 20_000_000
        var state: UInt64 = 1
        let began = threadCPUNanoseconds
        for _ in 0..<steps { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407 }
        let spent = max(1, threadCPUNanoseconds - began)
        sink.store(state, ordering: .relaxed)
        return max(1, Int(UInt64(steps) * 1_000 / spent))
    }()
}

/// Latency samples (milliseconds) summarised as percentiles.
struct LatencySummary {
    var p50: Double
    var p99: Double

    init(milliseconds samples: [Double]) {
        let sorted = samples.sorted()
        func percentile(_ fraction: Double) -> Double {
            sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))]
        }
        p50 = percentile(0.50)
        p99 = percentile(0.99)
    }
}

/// Resident memory of this process and its children, sampled on a background thread, since
/// the kernel's peak counters cannot be reset between workloads of one run.
final class MemoryMonitor: @unchecked Sendable {
    // Written by the sampling thread and read by the caller, both under `lock`.
    private let lock = NSLock()
    private var driverPeak = 0.0
    private var workerPeak = 0.0
    private var running = true
    private var children: [Int32] = []
    private var childrenListedAt = ContinuousClock.now - .seconds(1)

    /// - Parameter sampling: false in worker processes, which re-run `main` but must stay idle.
    init(sampling: Bool = true) {
        running = sampling
        guard sampling else { return }
        Thread.detachNewThread { [self] in
            while isRunning {
                sample()
                usleep(50_000)
            }
        }
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Starts a new measurement; returns the peaks (MiB) since the last reset.
    func reset() -> (driver: Double, worker: Double) {
        lock.lock()
        childrenListedAt = .now - .seconds(1)  // the workers may have changed: list them now
        lock.unlock()
        sample()
        lock.lock()
        defer { lock.unlock() }
        let peaks = (driverPeak, workerPeak)
        driverPeak = 0
        workerPeak = 0
        return peaks
    }

    func stop() {
        lock.lock()
        running = false
        lock.unlock()
    }

    private func sample() {
        let me = getpid()
        let driver = Self.residentMB(of: me)
        // Listing /proc costs more than reading a few status files: do it twice a second.
        lock.lock()
        if ContinuousClock.now - childrenListedAt > .milliseconds(500) {
            lock.unlock()
            let listed = Self.children(of: me)
            lock.lock()
            children = listed
            childrenListedAt = .now
        }
        let known = children
        lock.unlock()
        let worker = known.map(Self.residentMB(of:)).max() ?? 0
        lock.lock()
        driverPeak = max(driverPeak, driver)
        workerPeak = max(workerPeak, worker)
        lock.unlock()
    }

    static func residentMB(of pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }

    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent
        }
    }

    /// CPU time (ms) a process has used, user and system.
    static func cpuMilliseconds(of pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) * 1000 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
