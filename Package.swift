// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "MPETL",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MPETL", targets: ["MPETL"]),
        // For Swift programs that talk to pipelines without MPETL (and for Benchmarks/).
        .library(name: "MessagePack", targets: ["MessagePack"]),
        .executable(name: "nursery-rhyme", targets: ["nursery-rhyme"]),
        .executable(name: "execution-order", targets: ["execution-order"]),
        .executable(name: "named-pipelines", targets: ["named-pipelines"]),
        .executable(name: "csv-to-sqlite", targets: ["csv-to-sqlite"]),
        .executable(name: "orders-to-postgres", targets: ["orders-to-postgres"]),
        .executable(name: "mpetl-bench", targets: ["mpetl-bench"]),
        .executable(name: "mpetl-coordinator", targets: ["mpetl-coordinator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        // Only for mpetl-coordinator's HTTP side: the dashboard and /metrics. swift-nio and
        // swift-service-lifecycle come with Hummingbird; named here because the command uses
        // their types (a server's channel, the service group it runs in).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        // The dashboard's token: an HMAC under the cluster's key (built already for postgres-nio).
        .package(url: "https://github.com/apple/swift-crypto", "3.9.0"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // Only for the orders-to-postgres example.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // libzmq through a module map that links "zmq" and includes /usr/include/zmq.h.
        // Not `pkgConfig: "libzmq"`: Debian's .pc file adds -isystem flags that SwiftPM rejects
        // with a warning on every build. scripts/ensure-libzmq checks with pkg-config instead.
        .systemLibrary(name: "CLibZMQ"),
        .target(name: "ZeroMQ", dependencies: ["CLibZMQ"]),
        .target(name: "CProcessShims"),
        .target(name: "MessagePack"),
        .target(
            name: "MPETL",
            dependencies: [
                "ZeroMQ", "CProcessShims", "MessagePack",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]),
        .executableTarget(name: "nursery-rhyme", dependencies: ["MPETL"], path: "examples/nursery-rhyme"),
        .executableTarget(name: "execution-order", dependencies: ["MPETL"], path: "examples/execution-order"),
        .executableTarget(name: "named-pipelines", dependencies: ["MPETL"], path: "examples/named-pipelines"),
        .executableTarget(
            name: "csv-to-sqlite", dependencies: ["MPETL", .product(name: "GRDB", package: "GRDB.swift")],
            path: "examples/csv-to-sqlite"),
        .executableTarget(
            name: "orders-to-postgres",
            dependencies: ["MPETL", .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "examples/orders-to-postgres"),
        .executableTarget(name: "mpetl-bench", dependencies: ["MPETL", "MessagePack", "ZeroMQ", "CProcessShims"]),
        .executableTarget(
            name: "mpetl-test-programs",
            dependencies: [
                "MPETL", .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "mpetl-coordinator",
            dependencies: [
                "MPETL",
                "ZeroMQ",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "MessagePackTests", dependencies: ["MessagePack"]),
        .testTarget(
            name: "MPETLTests",
            dependencies: [
                "MPETL", "MessagePack", "ZeroMQ", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
