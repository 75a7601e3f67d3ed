// A pipeline a person watches on the dashboard: unbalanced on purpose, so that one stage is
// the bottleneck and the run lasts long enough to see counts grow.
import Foundation
import MPETL

/// A fast task, `parse` (2 processes), then a slow one, `enrich` (3 processes, so that worker
/// hosts' slots join it; `--slow-us` microseconds of sleep per item, 4,000 by default), then a
/// destination, `store`: `enrich` is the bottleneck, at about 750 items/s on this host alone.
/// `--items` (20,000) items; prints their count and sum.
func unbalanced() throws {
    let items = option("items", default: 20_000)
    let pipeline = Pipeline()
    try pipeline.addTask(name: "parse", processes: 2) { (value: Int) in value &* 3 }
    try pipeline.addTask(name: "enrich", processes: 3) { (value: Int) in
        usleep(UInt32(option("slow-us", default: 4_000)))
        return value / 3
    }
    try pipeline.addDestination(name: "store") { (value: Int) in value }
    try pipeline.start()
    try feedAndPrintCountAndSum(pipeline, items: items)
}
