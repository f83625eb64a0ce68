// swift-tools-version: 6.0
// fitchat — a self-hosted real-time chat for gyms. Layers and their allowed imports are
// described in README.md ("Layout"); arrows only point down. Every target lists exactly the
// modules it imports (nothing reached transitively, nothing declared and unused).
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
]
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
let nioWebSocket: Target.Dependency = .product(name: "NIOWebSocket", package: "swift-nio")
let nioConcurrencyHelpers: Target.Dependency = .product(name: "NIOConcurrencyHelpers", package: "swift-nio")

let package = Package(
    name: "fitchat",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "fitchat", targets: ["fitchat"]),
        .executable(name: "fitchat-bench", targets: ["FitchatBench"]),
        .executable(name: "socketio-conformance-server", targets: ["SocketIOConformanceServer"]),
        .executable(name: "fitchat-fuzz", targets: ["FitchatFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // System libraries from Debian.
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CQRencode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),

        // Storage.
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "ChatModel"),
        .target(name: "ChatStore", dependencies: ["LMDB", "ChatModel"]),

        // QR codes (invite links for the front desk) as SVG, drawn from libqrencode's matrix.
        .target(name: "QRCode", dependencies: ["CQRencode"]),

        // Protocols: pure layers, then the I/O shell.
        .target(name: "EngineIOProtocol", dependencies: [nioCore]),
        .target(name: "SocketIOProtocol", dependencies: [nioCore]),
        .target(name: "HTTPServer", dependencies: nio + [nioHTTP1, nioWebSocket, nioConcurrencyHelpers, logging]),
        .target(
            name: "EngineIO",
            dependencies: [
                "EngineIOProtocol", "HTTPServer", logging, nioCore, nioHTTP1, nioWebSocket, nioConcurrencyHelpers,
            ]
        ),
        .target(
            name: "SocketIO",
            dependencies: [
                "SocketIOProtocol", "EngineIO", "EngineIOProtocol", logging, nioCore, nioConcurrencyHelpers, nioHTTP1,
            ]
        ),

        // systemd integration: listen fds, sd_notify, journald.
        .target(name: "Systemd", dependencies: ["CSystemd", logging]),

        // The chat's rules over any ChatRepository: acks and broadcasts as values, no sockets.
        .target(name: "ChatService", dependencies: ["ChatModel", "SocketIOProtocol"]),

        // The application, one concept per module (README "Layout").
        .target(name: "Configuration", dependencies: ["HTTPServer"]),
        .target(
            name: "Accounts",
            dependencies: [
                "ChatModel", "ChatStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "ChatGateway",
            dependencies: [
                "ChatModel", "ChatService", "ChatStore", "Accounts", "SocketIO", "SocketIOProtocol", logging,
            ] + [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio")
            ]),
        .target(
            name: "Administration",
            dependencies: ["ChatModel", "ChatService", "ChatStore", "Configuration", "Accounts"]),
        .target(
            name: "WebRoutes",
            dependencies: [
                "ChatModel", "ChatService", "ChatStore", "Configuration", "Accounts", "Administration", "ChatGateway",
                "HTTPServer", "QRCode",
                "SocketIOProtocol", logging,
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "FitchatDaemon",
            dependencies: [
                "ChatModel", "ChatService", "ChatStore", "Configuration", "Accounts", "Administration", "ChatGateway",
                "WebRoutes",
                "HTTPServer", "EngineIO", "EngineIOProtocol", "SocketIO", "Systemd", logging,
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ] + nio,
            swiftSettings: [.define("FITCHAT_TEST_HOOKS", .when(configuration: .debug))]
        ),

        // Executables: composition roots only.
        .executableTarget(
            name: "fitchat",
            dependencies: [
                "Configuration", "Administration", "FitchatDaemon", "ChatModel", "ChatStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "FitchatBench",
            dependencies: [
                "Accounts", "ChatStore", "ChatModel", "LMDB",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                nioHTTP1, nioWebSocket,
            ] + nio,
            path: "Sources/fitchat-bench"
        ),
        .executableTarget(
            name: "SocketIOConformanceServer",
            dependencies: ["SocketIO", "SocketIOProtocol", "EngineIO", "EngineIOProtocol", "HTTPServer", logging] + nio,
            path: "Sources/socketio-conformance-server"
        ),

        // Fuzzing (README "Fuzzing"): the targets as plain functions, and one executable that is
        // libFuzzer's driver in a `-DFUZZING` build and a replayer otherwise.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "EngineIOProtocol", "SocketIOProtocol", "HTTPServer", "Accounts", "ChatModel", "ChatStore", "LMDB",
                nioCore, nioHTTP1,
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(name: "FitchatFuzz", dependencies: ["FuzzTargets"], path: "Sources/fitchat-fuzz"),

        // Tests.
        .target(name: "TestSupport", dependencies: ["LMDB"], path: "Tests/TestSupport"),
        .target(name: "ChatTestSupport", dependencies: ["ChatModel"], path: "Tests/ChatTestSupport"),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "CLMDB", "TestSupport"]),
        .testTarget(name: "ChatModelTests", dependencies: ["ChatModel"]),
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode", "CQRencode"]),
        .testTarget(
            name: "WebRoutesTests",
            dependencies: ["WebRoutes", "Administration", "ChatModel", "HTTPServer", nioCore, nioHTTP1]
        ),
        .testTarget(
            name: "ChatServiceTests", dependencies: ["ChatService", "ChatModel", "ChatTestSupport", "SocketIOProtocol"]),
        .testTarget(
            name: "ChatStoreTests",
            dependencies: ["ChatStore", "ChatModel", "ChatTestSupport", "LMDB", "CLMDB", "TestSupport"]),
        .testTarget(name: "EngineIOProtocolTests", dependencies: ["EngineIOProtocol", nioCore]),
        .testTarget(name: "SocketIOProtocolTests", dependencies: ["SocketIOProtocol", nioCore]),
        .testTarget(
            name: "EngineIOTests",
            dependencies: [
                "EngineIO", "EngineIOProtocol", "SocketIO", "SocketIOProtocol", "HTTPServer", logging, nioHTTP1,
            ] + nio
        ),
        .testTarget(
            name: "SocketIOLiveTests",
            dependencies: [
                "SocketIO", "EngineIO", "EngineIOProtocol", "SocketIOProtocol", "HTTPServer", "TestSupport",
                logging, nioConcurrencyHelpers,
            ] + nio
        ),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", logging]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets"]),
        .testTarget(
            name: "FitchatBenchTests",
            dependencies: ["FitchatBench", .product(name: "Histogram", package: "hdrhistogram-swift")]
        ),
        .testTarget(
            name: "FitchatCoreTests",
            dependencies: [
                "Configuration", "Accounts", "Administration", "FitchatDaemon", "ChatModel", "ChatService", "ChatStore",
                "HTTPServer",
                "LMDB",
                "Systemd", "TestSupport", logging, nioHTTP1,
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ] + nio
        ),
    ],
    swiftLanguageModes: [.v6]
)
