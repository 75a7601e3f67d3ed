// mpetl-bench: runs named workloads through real multi-process pipelines and prints figures.
//
//   mpetl-bench w1 [--chunk 100] [--items 1000000] [--processes 2] [--json]
//
// Build it in release mode: swift build -c release --product mpetl-bench
import Foundation
import MPETL

let arguments = Array(CommandLine.arguments.dropFirst())

func value(_ name: String, default fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: "--\(name)"), index + 1 < arguments.count,
          let parsed = Int(arguments[index + 1]) else { return fallback }
    return parsed
}

let usage = """
    usage: mpetl-bench w1 [--chunk N] [--items N] [--processes N] [--json]
      w1  1,000,000 short strings -> uppercase task -> counting destination, 2 processes per stage
    """

guard let workload = arguments.first, workload == "w1" else {
    print(usage)
    exit(64)
}
let measurement = try Workloads.w1(items: value("items", default: 1_000_000), chunk: value("chunk", default: 100),
                                   processes: value("processes", default: 2))
if arguments.contains("--json") {
    print(measurement.json)
} else {
    print(Measurement.tableHeader)
    print(measurement.tableRow)
}
exit(measurement.verified ? 0 : 1)
