// swift-tools-version: 6.2
import Foundation
import PackageDescription

/// `SMSYNC_STRICT=1` (set by `.ci/run`) turns every warning in this package into an error.
let strict = ProcessInfo.processInfo.environment["SMSYNC_STRICT"] == "1"

let swiftSettings: [SwiftSetting] =
    [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ] + (strict ? [.treatAllWarnings(as: .error)] : [])

let package = Package(
    name: "smsync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "smsync", targets: ["smsync"]),
        .library(name: "SMSync", targets: ["SMSync"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(
            name: "SMSync",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CLibXML2",
            path: "Sources/CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .target(
            name: "SMSyncRuntime",
            dependencies: ["SMSync", "CLibXML2"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "smsync",
            dependencies: [
                "SMSync",
                "SMSyncRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "smsync-bench",
            dependencies: ["SMSync"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SMSyncTests",
            dependencies: ["SMSync", "SMSyncRuntime"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["SMSync"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
