// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "gateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gateway", targets: ["gateway"]),
        .library(name: "GatewayCore", targets: ["GatewayCore"]),
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

        // Pure Swift layers, no C: addresses, HTTP/1.1 codec, config model.
        .target(name: "GatewayNetwork"),
        .target(name: "GatewayHTTP"),
        .target(
            name: "GatewayConfig",
            dependencies: ["GatewayNetwork", .product(name: "Yams", package: "Yams")]
        ),

        // The engine: loops, proxy, TLS, pipeline.
        .target(
            name: "GatewayCore",
            dependencies: ["CGatewayLibevent", "CGatewayOpenSSL", "GatewayNetwork", "GatewayHTTP", "GatewayConfig"]
        ),

        .executableTarget(
            name: "gateway",
            dependencies: ["GatewayCore", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .testTarget(name: "GatewayNetworkTests", dependencies: ["GatewayNetwork"]),
        .testTarget(name: "GatewayHTTPTests", dependencies: ["GatewayHTTP"]),
        .testTarget(name: "GatewayConfigTests", dependencies: ["GatewayConfig"]),
        .testTarget(name: "GatewayCoreTests", dependencies: ["GatewayCore"]),
        .testTarget(name: "IntegrationTests", dependencies: ["gateway"]),
    ]
)
