// mpetl-bench: runs named workloads through real multi-process pipelines and prints figures.
//
//   mpetl-bench [w1|w2|w3|w4|w5|startup|idle|all ...] [--baseline] [--json] [--items N] [--chunk N] [--processes N]
//
// Build it in release mode: swift build -c release --product mpetl-bench
import Foundation
import MPETL

if let index = CommandLine.arguments.firstIndex(of: Baseline.roleFlag) {
    Baseline.runRole(Array(CommandLine.arguments[(index + 1)...]))
}
if let index = CommandLine.arguments.firstIndex(of: DemandWorkloads.stuckRole) {
    try DemandWorkloads.runStuckChild(maxSize: Int(CommandLine.arguments[index + 1]) ?? 4)
}

let arguments = Array(CommandLine.arguments.dropFirst())

func value(_ name: String) -> Int? {
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count else { return nil }
    // `--chunk auto` leaves chunkSize out: batches sized by the load.
    return arguments[index + 1] == "auto" ? 0 : Int(arguments[index + 1])
}

let usage = """
    usage: mpetl-bench [WORKLOAD ...] [--baseline] [--json] [--items N] [--chunk N] [--processes N]
      w1       1,000,000 short strings -> uppercase task -> counting destination; 2 processes per stage;
               chunkSize left out (auto), 1 and 100
      w2       200,000 items, a task burning 50 us of CPU per item; 1 and 2 processes; chunkSize auto, 1
               and 100
      w3       10,000,000 items fed with maxSize 10,000 (memory stays flat); also 1,000,000 to compare
      w4       100,000 items of 4 KiB each (bytes throughput)
      w5       20,000 items through a task of 2 processes that waits 10 ms per item, then a counting
               destination: a blocking wait (w5-sync), and an awaited one at concurrency 1, 16 and 128
               (w5-c1, w5-c16, w5-c128; any w5-cN runs alone). The ideal is 200 items/s per item in
               flight per process; w5-sync and w5-c1 take 100 s each
      startup  start() to first result with 6 workers
      idle     CPU used by 6 idle workers over one second
      results  driver memory holding 1,000,000 Int results after join(), and after reading them
      stuck    a task of 2 processes whose body never returns for item 7 (2 ms otherwise), fed 0..<200
               with maxSize 1, 4, 16 and 50: how many items finish
      mixed    20,000 items through 2 workers, one 4x slower per item: throughput against the sum of
               the two workers' own rates
      all      every workload above (the default)
      --items, --chunk (a number, or auto), --processes override the workload's own figures; --baseline also runs
      the same shapes over raw PUSH/PULL and prints each figure's ratio to it.
    """

let known = ["w1", "w2", "w3", "w4", "w5", "startup", "idle", "results", "stuck", "mixed", "all"]
let named = arguments.filter { !$0.hasPrefix("--") && Int($0) == nil && $0 != "auto" }
func isKnown(_ name: String) -> Bool {
    known.contains(name) || name == "w5-sync" || (name.hasPrefix("w5-c") && Int(name.dropFirst(4)) != nil)
}
if arguments.contains("--help") || named.contains(where: { !isKnown($0) }) {
    print(usage)
    exit(named.isEmpty || arguments.contains("--help") ? 0 : 64)
}
let selected =
    named.isEmpty || named.contains("all")
    ? ["w1", "w2", "w3", "w4", "startup", "idle", "results", "stuck", "mixed"] : named
let json = arguments.contains("--json")
let withBaseline = arguments.contains("--baseline")

func specs(for workload: String) -> [RunSpec] {
    let items = value("items")
    let chunk = value("chunk")
    let processes = value("processes")
    func spec(_ items0: Int, _ chunk0: Int, _ processes0: Int, maxSize: Int? = nil, bytes: Int? = nil) -> RunSpec {
        RunSpec(
            workload: workload, items: items ?? items0, chunk: chunk ?? chunk0, processes: processes ?? processes0,
            maxSize: maxSize, itemBytes: bytes)
    }
    switch workload {
    case "w1":
        return chunk != nil
            ? [spec(1_000_000, 100, 2)] : [spec(1_000_000, 0, 2), spec(1_000_000, 1, 2), spec(1_000_000, 100, 2)]
    case "w2":
        return (chunk.map { [$0] } ?? [0, 1, 100]).flatMap { chunk in
            (processes.map { [$0] } ?? [1, 2]).map { processes in
                RunSpec(workload: "w2", items: items ?? 200_000, chunk: chunk, processes: processes)
            }
        }
    case "w3":
        return items != nil
            ? [spec(10_000_000, 100, 2, maxSize: 10_000)]
            : [
                RunSpec(
                    workload: "w3", items: 1_000_000, chunk: chunk ?? 100, processes: processes ?? 2, maxSize: 10_000),
                spec(10_000_000, 100, 2, maxSize: 10_000),
            ]
    case "w4": return [spec(100_000, 10, 2, bytes: Blob.size)]
    case "w5":
        return ["w5-sync", "w5-c1", "w5-c16", "w5-c128"].map {
            RunSpec(workload: $0, items: items ?? 20_000, chunk: chunk ?? 0, processes: processes ?? 2)
        }
    case let name where name.hasPrefix("w5-"):
        return [RunSpec(workload: name, items: items ?? 20_000, chunk: chunk ?? 0, processes: processes ?? 2)]
    default: return []
    }
}

let monitor = MemoryMonitor(sampling: !Pipeline.isWorkerProcess)
var failed = false
if !json && !Pipeline.isWorkerProcess { print(Measurement.tableHeader) }
for workload in selected {
    switch workload {
    case "startup", "idle":
        let lines = try Probes.run(workload)
        if !Pipeline.isWorkerProcess { for line in lines { print(json ? line.json : line.text) } }
    case "stuck":
        guard !Pipeline.isWorkerProcess else { continue }
        for maxSize in value("max-size").map({ [$0] }) ?? [1, 4, 16, 50] {
            let line = try DemandWorkloads.stuck(maxSize: maxSize)
            print(json ? line.json : line.text)
        }
    case "mixed":
        if let line = try DemandWorkloads.mixed(items: value("items") ?? 20_000) { print(json ? line.json : line.text) }
    case "results":
        for chunk in value("chunk").map({ [$0] }) ?? [1, 100] {
            if let line = try ResultsMemory.run(items: value("items") ?? 1_000_000, chunk: chunk) {
                print(json ? line.json : line.text)
            }
        }
    default:
        for spec in specs(for: workload) {
            guard var measurement = try Workloads.run(spec, monitor: monitor) else { continue }
            if withBaseline, spec.workload != "w3" {
                measurement.baselineItemsPerSecond = try Baseline.itemsPerSecond(spec)
            }
            failed = failed || !measurement.verified
            print(json ? measurement.json : measurement.tableRow)
            fflush(nil)
        }
    }
}
monitor.stop()
exit(failed ? 1 : 0)
