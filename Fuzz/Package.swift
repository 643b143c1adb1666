// swift-tools-version: 6.1
// libFuzzer targets for podrig's parsers. Built only by hack/fuzz (with -sanitize=fuzzer), never
// by the main package.
import PackageDescription

let podrig = Target.Dependency.product(name: "Podrig", package: "podrig")

let package = Package(
    name: "podrig-fuzz",
    dependencies: [.package(name: "podrig", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzJSON", dependencies: ["FuzzSupport", podrig]),
        .executableTarget(name: "FuzzConfigText", dependencies: ["FuzzSupport", podrig]),
        .executableTarget(name: "FuzzPodSandboxConfig", dependencies: ["FuzzSupport", podrig]),
        .executableTarget(name: "FuzzPodManifest", dependencies: ["FuzzSupport", podrig]),
        .executableTarget(name: "FuzzCNIConfig", dependencies: ["FuzzSupport", podrig]),
        .executableTarget(name: "FuzzCNIResult", dependencies: ["FuzzSupport", podrig]),
        .executableTarget(name: "FuzzClusterFlags", dependencies: ["FuzzSupport", podrig]),
        .executableTarget(name: "FuzzContainerPlanner", dependencies: ["FuzzSupport", podrig]),
        .executableTarget(name: "FuzzCRILog", dependencies: ["FuzzSupport", podrig]),
    ]
)
