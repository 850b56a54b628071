// swift-tools-version:6.0
// vtoa - the command-line tool and the application library for the vtoa kernel module.
import PackageDescription

let package = Package(
    name: "vtoa",
    products: [
        .executable(name: "vtoa", targets: ["VTOATool"]),
        .library(name: "VTOA", targets: ["VTOA"]),
        .library(name: "VTOACore", targets: ["VTOACore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CKmod",
            pkgConfig: "libkmod",
            providers: [.apt(["libkmod-dev"]), .yum(["kmod-devel"])]
        ),
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"]), .yum(["systemd-devel"])]
        ),
        .target(name: "CSelftest"),
        .target(name: "CBPF"),
        // The version and the parameter table, from the module's own headers.
        .target(name: "CShared", cSettings: [.headerSearchPath("../../kmod/include/uapi")]),
        .target(name: "VTOA"),
        // The logic, behind protocols; no system library (libkmod, libsystemd):
        // CSelftest and CBPF are this package's own shims over libc and the
        // kernel's uapi headers.
        .target(name: "VTOACore", dependencies: ["CSelftest", "CBPF", "CShared"]),
        // The real ModuleControl (libkmod) and ServiceControl (sd-bus), and Machine.real.
        .target(name: "VTOALinux", dependencies: ["VTOACore", "CKmod", "CSystemd"]),
        .executableTarget(
            name: "VTOATool",
            dependencies: [
                "VTOACore", "VTOALinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "VTOACoreTests", dependencies: ["VTOACore"]),
        .testTarget(name: "VTOALinuxTests", dependencies: ["VTOALinux", "VTOACore"]),
        .testTarget(name: "VTOATests", dependencies: ["VTOA"]),
        .testTarget(name: "VTOAToolTests", dependencies: ["VTOATool", "VTOACore"]),
    ],
    swiftLanguageModes: [.v6]
)
