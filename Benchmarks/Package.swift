// swift-tools-version:6.1
// The codec's benchmarks, a package of their own so that the root package's `swift build` and
// its tests never build package-benchmark. scripts/benchmark-check runs them against
// Thresholds/ (see Benchmarks/README.md).
import PackageDescription

let package = Package(
    name: "MPETLBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "MPETL", path: ".."),
        // Only the malloc interposer: the default traits add a runtime interposer for Swift 6.3
        // on Linux whose package is not among the machine's packages, and the counts need only
        // malloc's.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "MessagePackBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MessagePack", package: "MPETL"),
            ],
            path: "Benchmarks/MessagePackBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
