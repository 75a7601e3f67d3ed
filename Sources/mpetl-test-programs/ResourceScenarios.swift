// Resource use over a long-lived program: many pipelines one after another must leave the
// driver's descriptors and threads flat.
import Foundation
import MPETL

/// Open descriptors and threads of this process, from /proc.
func openDescriptors() -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
}

func threadCount() -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).count
}

/// `--pipelines` (500) pipelines one after another, each `addTask { $0 + 1 }`, 5 items fed,
/// joined and read; prints descriptors and threads after the 10th and the last.
func manyPipelines() throws {
    let count = option("pipelines", default: 500)
    var afterTenth: (descriptors: Int, threads: Int)?
    var wrong = 0
    for index in 0..<count {
        let pipeline = Pipeline()
        try pipeline.addTask { (value: Int) in value + 1 }
        try pipeline.start()
        try pipeline.feed(contentsOf: 0..<5)
        try pipeline.join()
        let results = Array(try pipeline.asCompleted(as: Int.self)).sorted()
        if results != Array(1...5) { wrong += 1 }
        if index == 9 { afterTenth = (openDescriptors(), threadCount()) }
    }
    var kinds: [String: Int] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")) ?? "?"
        kinds[target.hasPrefix("/") ? "file" : target, default: 0] += 1
    }
    printJSON([
        "kinds": kinds,
        "pipelines": count, "wrong": wrong,
        "descriptorsAfterTenth": afterTenth?.descriptors ?? -1, "threadsAfterTenth": afterTenth?.threads ?? -1,
        "descriptorsAfterLast": openDescriptors(), "threadsAfterLast": threadCount(),
    ])
}

/// The driver's peak memory (VmHWM) for one item of `--mib` (600) MiB of bytes through a task
/// that returns its size: what a big item costs the driver beyond the item itself.
func bigItem() throws {
    let mebibytes = option("mib", default: 600)
    let pipeline = Pipeline()
    try pipeline.addTask { (bytes: [UInt8]) in bytes.count }
    try pipeline.start()
    let before = peakResidentMiB()
    var item = [UInt8](repeating: 7, count: mebibytes << 20)
    item[0] = 1
    let held = peakResidentMiB()
    try pipeline.feed(item)
    try pipeline.join()
    let sizes = Array(try pipeline.asCompleted(as: Int.self))
    let peak = peakResidentMiB()
    printJSON([
        "mib": mebibytes, "sizes": sizes, "peakBeforeMiB": before, "peakWithItemMiB": held, "peakAfterJoinMiB": peak,
        "peakOverItemRatio": Double(peak - before) / Double(mebibytes),
    ])
}

/// The process's peak resident memory so far, in MiB (VmHWM).
func peakResidentMiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
        let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { return -1 }
    return kilobytes / 1024
}
