// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "podrig",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "podrig", targets: ["podrig"]),
        .executable(name: "podrig-pause", targets: ["podrig-pause"]),
        .executable(name: "podrig-supervisor", targets: ["podrig-supervisor"]),
        .executable(name: "podrig-ipam", targets: ["podrig-ipam"]),
        // The library under the CLI: bring pods up and down from another package's tests.
        .library(name: "Podrig", targets: ["PodrigCore", "PodrigSandbox", "PodrigCNI", "PodrigPod", "PodrigCluster", "PodrigIPAM", "PodrigCgroups"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C: everything that runs between fork and exec, plus libcap/libseccomp glue.
        .target(
            name: "CPodrig",
            path: "CShims/CPodrig",
            linkerSettings: [.linkedLibrary("cap"), .linkedLibrary("seccomp")]
        ),
        // podrig's first initialiser: `podrig --version` answered before the Swift runtime starts.
        .target(name: "CPodrigEarly", dependencies: ["CPodrig"], path: "CShims/early"),
        // libyaml from the system: YAML without pulling Foundation (and ICU) into every process start.
        .systemLibrary(name: "CYAML", path: "CShims/CYAML", providers: [.apt(["libyaml-dev"])]),
        // The pod's namespace holder; statically linked to keep its resident memory tiny.
        .executableTarget(
            name: "podrig-pause",
            path: "CShims/pause",
            cSettings: [.unsafeFlags(["-Os"])],
            linkerSettings: [.unsafeFlags(["-static-executable", "-nostartfiles"])]
        ),
        // The per-pod supervisor: C, static, so pause + supervisor stay near 1 MiB resident.
        .executableTarget(
            name: "podrig-supervisor",
            dependencies: ["CPodrig"],
            path: "CShims/supervisor",
            cSettings: [.unsafeFlags(["-Os", "-ffunction-sections", "-fdata-sections"])],
            linkerSettings: [.unsafeFlags(["-static-executable", "-nostartfiles", "-Xlinker", "--gc-sections"])]
        ),
        .target(name: "PodrigCore", dependencies: ["CPodrig", "CYAML"]),
        .target(name: "PodrigSandbox", dependencies: ["PodrigCore", "PodrigCgroups", "CPodrig"]),
        .target(name: "PodrigCNI", dependencies: ["PodrigCore", "PodrigSandbox", "PodrigIPAM"]),
        // The CNI IPAM plugin's logic (host-local's config, sticky and requested IPs, crash-safe leases).
        .target(name: "PodrigIPAM", dependencies: ["PodrigCore"]),
        // cgroups v1/v2: detection, kubelet's values, podrig's own tree (create, write, remove), usage.
        .target(name: "PodrigCgroups", dependencies: ["PodrigCore"]),
        // The plugin process: PodrigCore only (no Foundation, no ArgumentParser); hack/build links it
        // static like podrig, so it starts in about a millisecond.
        .executableTarget(name: "podrig-ipam", dependencies: ["PodrigIPAM"]),
        .target(name: "PodrigPod", dependencies: ["PodrigCore", "PodrigSandbox", "PodrigCNI", "PodrigCgroups", "CPodrig"]),
        // Cluster networking in a box: kcm's node IPAM, simulated nodes in netns, routes between them.
        .target(name: "PodrigCluster", dependencies: ["PodrigCore", "PodrigSandbox", "PodrigIPAM", "CPodrig"]),
        // `podrig doctor`: environment checks and the leak scanner (reads state, never changes it).
        .target(name: "PodrigDoctor", dependencies: ["PodrigCore", "PodrigSandbox", "PodrigCluster", "PodrigCgroups", "PodrigIPAM", "CPodrig"]),
        // `podrig cni test`: the black-box CNI plugin conformance runner (over PodrigCNI's exec path).
        .target(name: "PodrigConformance", dependencies: ["PodrigCore", "PodrigCNI"]),
        .executableTarget(
            name: "podrig",
            dependencies: [
                "PodrigCore", "PodrigSandbox", "PodrigCNI", "PodrigPod", "PodrigDoctor", "PodrigIPAM", "PodrigCluster", "PodrigConformance", "PodrigCgroups",
                "CPodrigEarly",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PodrigUnitTests", dependencies: ["PodrigCore", "PodrigSandbox", "PodrigCNI", "PodrigPod", "PodrigDoctor", "PodrigIPAM", "PodrigCluster", "PodrigConformance", "PodrigCgroups"]),
        .testTarget(
            name: "PodrigIntegrationTests",
            dependencies: ["PodrigCore", "PodrigSandbox", "PodrigCNI", "PodrigPod", "PodrigIPAM", "PodrigCluster", "PodrigCgroups", "podrig", "podrig-pause", "podrig-supervisor", "podrig-ipam"]
        ),
    ]
)
