// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "pishkhan",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "pishkhan", targets: ["pishkhan"]),
        .executable(name: "pishkhan-bench", targets: ["PishkhanBench"]),
        .executable(name: "pishkhan-mime-fuzz", targets: ["PishkhanMIMEFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "PishkhanCore",
            dependencies: [.product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PishkhanStore",
            dependencies: [
                "PishkhanCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                "CSQLiteSettings",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // The PostgreSQL backend (Postgres/), for several `pishkhan serve` processes on one database.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // sqlite3_config, which Swift cannot call (it is variadic): SQLite's process-wide settings.
        .target(name: "CSQLiteSettings", linkerSettings: [.linkedLibrary("sqlite3")]),
        // Snowball stemmers; Debian ships no pkg-config file for it, the module map links it by name.
        .systemLibrary(name: "CStemmer", providers: [.apt(["libstemmer-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // GNU FriBidi: the Unicode bidirectional algorithm, so Persian reads right to left in terminals that do not reorder.
        .systemLibrary(name: "CFriBidi", pkgConfig: "fribidi", providers: [.apt(["libfribidi-dev"])]),
        // The terminal UI's logic (queue order, SLA countdowns, bidi display lines, shortcuts), without a terminal.
        // ncursesw, wide characters on (the shim defines NCURSES_WIDECHAR); linked by name, as its pkg-config
        // flags are ones SwiftPM refuses.
        .systemLibrary(name: "CNCurses", providers: [.apt(["libncurses-dev"])]),
        .target(
            name: "PishkhanTUI",
            dependencies: [
                "CFriBidi", "CNCurses", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PishkhanChannels",
            dependencies: [
                "PishkhanCore", "CCurl", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PishkhanKnowledge",
            dependencies: [
                "PishkhanCore", "CStemmer", .product(name: "Yams", package: "Yams"), .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PishkhanServer",
            dependencies: [
                "PishkhanCore", "PishkhanStore", "PishkhanChannels", "PishkhanKnowledge",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The chat widget's files (Chat/Widget/: widget.js, widget.css, chat.html) are served as they are.
            resources: [.copy("openapi.yaml"), .copy("Chat/Widget")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "pishkhan",
            dependencies: [
                "PishkhanServer", "PishkhanStore", "PishkhanCore", "PishkhanChannels", "PishkhanKnowledge", "PishkhanTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "PishkhanBench",
            dependencies: [
                "PishkhanServer", "PishkhanStore", "PishkhanCore", "PishkhanChannels", "PishkhanTestSupport", "PishkhanKnowledge",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "PishkhanMIMEFuzz", dependencies: ["PishkhanChannels"], swiftSettings: swiftSettings),
        .testTarget(name: "PishkhanCoreTests", dependencies: ["PishkhanCore"], swiftSettings: swiftSettings),
        .testTarget(name: "PishkhanTUITests", dependencies: ["PishkhanTUI"], swiftSettings: swiftSettings),
        .testTarget(name: "PishkhanKnowledgeTests", dependencies: ["PishkhanKnowledge", "PishkhanCore"], swiftSettings: swiftSettings),
        // Real servers for tests: Dovecot and an SMTP sink on loopback, started and stopped by pid.
        .target(
            name: "PishkhanTestSupport",
            dependencies: ["PishkhanChannels"],
            exclude: ["smtp_sink.py"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PishkhanChannelsTests",
            dependencies: ["PishkhanChannels", "PishkhanCore", "PishkhanTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PishkhanStoreTests",
            dependencies: ["PishkhanStore", "PishkhanCore", "PishkhanTestSupport", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PishkhanServerTests",
            dependencies: [
                "PishkhanServer", "PishkhanStore", "PishkhanCore", "PishkhanChannels", "PishkhanKnowledge",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "PishkhanCore", "PishkhanChannels", "PishkhanTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            // Drives the chat widget in headless Chromium (Selenium), for ChatWidgetEndToEndTests.
            exclude: ["chat_widget_driver.py"],
            swiftSettings: swiftSettings
        ),
    ]
)
