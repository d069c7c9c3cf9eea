// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gateway", targets: ["gateway"]),
        .library(name: "GatewayCore", targets: ["GatewayCore"]),
        .library(name: "GatewayTesting", targets: ["GatewayTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // C wrappers: headers plus tiny shims for what Swift cannot import (macros, variadics).
        .target(
            name: "CGatewayOpenSSL",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        .target(
            name: "CGatewayLibevent",
            dependencies: ["CGatewayOpenSSL"],
            // event_core + add-ons, never `event`: libevent.so would load a second copy of core.
            linkerSettings: [
                .linkedLibrary("event_core"), .linkedLibrary("event_openssl"),
                .linkedLibrary("event_pthreads"),
            ]
        ),
        .target(
            name: "CGatewayHiredis",
            linkerSettings: [.linkedLibrary("hiredis")]
        ),
        .target(
            name: "CGatewayMaxMindDB",
            linkerSettings: [.linkedLibrary("maxminddb")]
        ),

        // Pure Swift layers, no C: addresses, HTTP/1.1 codec, config model.
        .target(name: "GatewayNetwork"),
        .target(name: "GatewayHTTP"),
        .target(
            name: "GatewayConfig",
            dependencies: ["GatewayNetwork", .product(name: "Yams", package: "Yams")]
        ),
        // MaxMind DB lookups (country, city, AS) for the request context and events.
        .target(name: "GatewayGeo", dependencies: ["CGatewayMaxMindDB", "GatewayNetwork"]),

        // The engine: loops, proxy, TLS, pipeline.
        .target(
            name: "GatewayCore",
            dependencies: ["CGatewayLibevent", "CGatewayOpenSSL", "CGatewayHiredis", "GatewayNetwork", "GatewayHTTP", "GatewayConfig",
                           "GatewayGeo"]
        ),

        // Testing support: run a filter's phases without sockets.
        .target(name: "GatewayTesting", dependencies: ["GatewayCore"]),

        // Plugins: one target each, depending on the core's public filter API only.
        .target(name: "SecurityHeaders", dependencies: ["GatewayCore"], path: "Plugins/SecurityHeaders"),
        .target(name: "CORS", dependencies: ["GatewayCore"], path: "Plugins/CORS"),
        .target(name: "IPAccess", dependencies: ["GatewayCore"], path: "Plugins/IPAccess"),
        .target(name: "ErrorPages", dependencies: ["GatewayCore"], path: "Plugins/ErrorPages"),
        .target(name: "RateLimit", dependencies: ["GatewayCore"], path: "Plugins/RateLimit"),
        .target(name: "InjectionDetection", dependencies: ["GatewayCore", "GatewayConfig", "GatewayHTTP"], path: "Plugins/InjectionDetection"),

        .executableTarget(
            name: "gateway",
            dependencies: [
                "GatewayCore", "SecurityHeaders", "CORS", "IPAccess", "ErrorPages", "RateLimit", "InjectionDetection",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "GatewayNetworkTests", dependencies: ["GatewayNetwork"]),
        .testTarget(name: "GatewayHTTPTests", dependencies: ["GatewayHTTP"]),
        .testTarget(name: "GatewayConfigTests", dependencies: ["GatewayConfig"]),
        // Fixtures/write_mmdb.py writes the MaxMind DB files; TestSupport runs it for every target.
        .testTarget(name: "GatewayGeoTests", dependencies: ["GatewayGeo", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "GatewayCoreTests", dependencies: ["GatewayCore", "GatewayTesting", "TestSupport"]),
        .testTarget(name: "GatewayEventsTests", dependencies: ["GatewayCore", "TestSupport"]),
        .testTarget(name: "SecurityHeadersTests", dependencies: ["SecurityHeaders", "GatewayTesting"]),
        .testTarget(name: "CORSTests", dependencies: ["CORS", "GatewayTesting"]),
        .testTarget(name: "IPAccessTests", dependencies: ["IPAccess", "GatewayTesting"]),
        .testTarget(name: "ErrorPagesTests", dependencies: ["ErrorPages", "GatewayTesting"]),
        .testTarget(name: "RateLimitTests", dependencies: ["RateLimit", "GatewayTesting"]),
        .testTarget(name: "InjectionDetectionTests", dependencies: ["InjectionDetection", "GatewayTesting"]),
        // Drives the real binary; PipelineTests also run a GatewayServer in-process with test plugins.
        .testTarget(name: "IntegrationTests", dependencies: ["gateway", "GatewayCore", "TestSupport"], exclude: ["Fixtures"]),
        // Child processes, temporary folders, ports, polling, a real redis-server and MaxMind DB
        // fixtures for the test targets above (Foundation only: no gateway module).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
    ]
)
