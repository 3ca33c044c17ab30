// swift-tools-version:6.2
import PackageDescription

/// Every Titan target compiles in Swift 6 language mode with warnings treated as errors.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Titan",
    products: [
        .executable(name: "titan-master", targets: ["titan-master"]),
        .executable(name: "titan-worker", targets: ["titan-worker"]),
        .executable(name: "titan-cli", targets: ["titan-cli"]),
        .executable(name: "titan-load", targets: ["titan-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // Metrics: the API the daemons record through, and its Prometheus backend (executables only).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // System libraries, each with a shim header of typed wrappers (variadic C is unavailable in Swift).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),

        // Pure layers: values, no I/O.
        .target(name: "ClusterModel", swiftSettings: strict),
        .target(name: "Placement", dependencies: ["ClusterModel"], swiftSettings: strict),
        .target(
            name: "WireProtocol",
            dependencies: [
                "ClusterModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // I/O layers.
        .target(name: "CurlSupport", dependencies: ["CCurl"], swiftSettings: strict),
        .target(name: "EtcdClient", dependencies: ["CurlSupport"], swiftSettings: strict),
        .target(name: "DockerClient", dependencies: ["CurlSupport"], swiftSettings: strict),
        .target(name: "LogStream", dependencies: ["CLZ4", "ClusterModel"], swiftSettings: strict),
        .target(name: "CProcessSupport"),
        // A small HTTP/1.1 server on NIO's own NIOHTTP1: /metrics and the web UI.
        .target(
            name: "HTTPServing",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Per-job timestamps of a traced run (`--trace`), shared by the daemons and titan-load.
        .target(name: "StageTrace", swiftSettings: strict),
        .target(
            name: "WorkerCore",
            dependencies: [
                "ClusterModel", "CProcessSupport", "DockerClient", "EtcdClient", "LogStream", "StageTrace", "TitanClient", "WireProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),

        // What every executable shares: one-line errors and exit codes, log line formats.
        .target(
            name: "CommandSupport",
            dependencies: ["StageTrace", .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        // The master and the worker as libraries of services; the executables only parse flags.
        .target(
            name: "MasterCore",
            dependencies: [
                "ClusterModel", "Placement", "WireProtocol", "EtcdClient", "LogStream", "StageTrace",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "TitanClient",
            dependencies: [
                "ClusterModel", "WireProtocol", "EtcdClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // The web UI: a client of the leader, served over HTTPServing by every master.
        .target(
            name: "WebUI",
            dependencies: [
                "ClusterModel", "EtcdClient", "HTTPServing", "LogStream", "TitanClient", "WireProtocol",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "LoadGenerator",
            dependencies: ["ClusterModel", "StageTrace", "TitanClient", "WireProtocol", .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: strict
        ),

        // A daemon's `--metrics-listen`: swift-metrics bootstrapped with Prometheus, `GET /metrics`.
        .target(
            name: "MetricsServing",
            dependencies: [
                "EtcdClient", "HTTPServing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Thin executables.
        .executableTarget(
            name: "titan-master",
            dependencies: [
                "MasterCore", "MetricsServing", "TitanClient", "CommandSupport", "WebUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "titan-worker",
            dependencies: [
                "WorkerCore", "MetricsServing", "TitanClient", "ClusterModel", "DockerClient", "CommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "titan-cli",
            dependencies: [
                "TitanClient", "ClusterModel", "Placement", "WireProtocol", "EtcdClient", "LogStream", "CommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "titan-load",
            dependencies: [
                "LoadGenerator", "StageTrace", "TitanClient", "ClusterModel", "EtcdClient", "CommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "titan-bench",
            dependencies: ["EtcdClient", "TitanClient", "CommandSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),

        // Tests: one target per module; the ones for I/O modules talk to the real etcd and dockerd.
        // TitanTestSupport is what they share: deadlines, loopback ports, the services they need.
        .target(
            name: "TitanTestSupport",
            dependencies: ["DockerClient", "EtcdClient"],
            path: "Tests/TitanTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "TitanTestSupportTests", dependencies: ["TitanTestSupport"], swiftSettings: strict),
        .testTarget(name: "ClusterModelTests", dependencies: ["ClusterModel", "TitanTestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTPServingTests", dependencies: ["HTTPServing", .product(name: "NIOPosix", package: "swift-nio")], swiftSettings: strict),
        .testTarget(name: "WebUITests", dependencies: ["WebUI", "HTTPServing"], swiftSettings: strict),
        .testTarget(name: "CommandSupportTests", dependencies: ["CommandSupport"], swiftSettings: strict),
        .testTarget(name: "LoadGeneratorTests", dependencies: ["LoadGenerator", "StageTrace"], swiftSettings: strict),
        .testTarget(name: "PlacementTests", dependencies: ["Placement", "ClusterModel"], swiftSettings: strict),
        .testTarget(
            name: "WireProtocolTests",
            dependencies: [
                "WireProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MasterCoreTests",
            dependencies: [
                "TitanTestSupport", "MasterCore", "ClusterModel", "Placement", "EtcdClient", "WireProtocol", "LogStream",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "CurlSupportTests", dependencies: ["CurlSupport", "TitanTestSupport"], swiftSettings: strict),
        .testTarget(name: "EtcdClientTests", dependencies: ["TitanTestSupport", "EtcdClient"], swiftSettings: strict),
        .testTarget(name: "DockerClientTests", dependencies: ["TitanTestSupport", "DockerClient"], swiftSettings: strict),
        .testTarget(name: "LogStreamTests", dependencies: ["LogStream", "ClusterModel", "TitanTestSupport"], swiftSettings: strict),
        .testTarget(name: "TitanClientTests", dependencies: ["TitanTestSupport", "TitanClient"], swiftSettings: strict),
        .testTarget(
            name: "WorkerCoreTests",
            dependencies: ["WorkerCore", "ClusterModel", "CProcessSupport", "DockerClient", "TitanTestSupport", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        // The real binaries (titan-master, titan-worker, titan-cli) against a private etcd.
        .testTarget(
            name: "ClusterTests",
            dependencies: ["TitanClient", "ClusterModel", "CurlSupport", "WireProtocol", "EtcdClient", "DockerClient", "TitanTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MetricsServingTests",
            dependencies: [
                "MetricsServing", "HTTPServing", "MasterCore", "WorkerCore",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
    ]
)
