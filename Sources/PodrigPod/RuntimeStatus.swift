#if canImport(Glibc)
import Glibc
#endif
import PodrigCNI
import PodrigCore

/// CRI's Version and Status answers (what `crictl version` and `crictl info` print), computed
/// from this machine: no daemon holds them.
public enum RuntimeStatus {
    /// CRI VersionResponse. `version` is the kubelet runtime API version CRI clients send.
    public static let version: JSON = [
        "version": "0.1.0", "runtimeName": "podrig", "runtimeVersion": .string(PodrigVersion.current), "runtimeApiVersion": "v1",
    ]

    /// A CRI RuntimeCondition: status true leaves reason and message empty.
    public struct Condition: Sendable {
        public var type: String
        public var status: Bool
        public var reason = ""
        public var message = ""

        public var json: JSON { ["type": .string(type), "status": .bool(status), "reason": .string(reason), "message": .string(message)] }
    }

    /// RuntimeReady: root, podrig-pause and podrig-supervisor found. NetworkReady: the networks
    /// runp would attach (the --network ones, else the first valid config in the conf dir, else
    /// the built-in one when the dir holds no config) have their plugins and pass CNI STATUS.
    public static func conditions(pods: PodManager, cni: CNIOptions) -> [Condition] {
        [runtimeReady(pods), networkReady(cni)]
    }

    static func runtimeReady(_ pods: PodManager) -> Condition {
        var c = Condition(type: "RuntimeReady", status: false, reason: "RuntimeNotReady")
        if geteuid() != 0 {
            c.message = "podrig needs root (namespaces, mounts, CNI plugins)"
            return c
        }
        do {
            _ = try pods.sandboxes.resolvePause()
            _ = try pods.resolveSupervisor()
        } catch {
            c.message = error.description
            return c
        }
        return Condition(type: "RuntimeReady", status: true)
    }

    static func networkReady(_ cni: CNIOptions) -> Condition {
        var c = Condition(type: "NetworkReady", status: false, reason: "NetworkPluginNotReady")
        if cni.isNone { return Condition(type: "NetworkReady", status: true) }  // only lo, as asked
        do {
            let lists = try cni.discovery.select(cni.networks)
            let engine = cni.engine(trace: nil, owner: nil)
            for list in lists {
                for i in list.plugins.indices { _ = try engine.runner.find(list.pluginType(i)) }
                if case .notReady(let why) = try engine.status(list) {
                    c.message = "network \(list.name): CNI STATUS: \(why)"
                    return c
                }
            }
        } catch {
            c.message = error.description
            return c
        }
        return Condition(type: "NetworkReady", status: true)
    }

    /// `crictl info`'s document: the status with its conditions, the runtime handler's features
    /// and podrig's effective configuration.
    public static func info(pods: PodManager, cni: CNIOptions) -> JSON {
        let conditions = conditions(pods: pods, cni: cni)
        let networks: JSON
        if cni.isNone {
            networks = ["none"]
        } else if let lists = try? cni.discovery.select(cni.networks) {
            networks = .array(lists.map { ["name": .string($0.name), "cniVersion": .string($0.cniVersion), "source": .string($0.source)] })
        } else {
            networks = []
        }
        return [
            "status": ["conditions": .array(conditions.map(\.json))],
            "runtimeHandlers": [["name": "", "features": ["recursiveReadOnlyMounts": false, "userNamespaces": false]]],
            "features": ["supplementalGroupsPolicy": true],
            "config": [
                "root": .string(pods.sandboxes.options.root), "cniConfDir": .string(cni.confDir),
                "cniBinDirs": .array(cni.binDirs.map { .string($0) }), "cniCacheDir": .string(cni.cacheDir), "networks": networks,
                // Manifests default to RuntimeDefault (kubelet's --seccomp-default); CRI configs without a profile are Unconfined.
                "seccompDefault": ["manifests": "RuntimeDefault", "cri": "Unconfined"],
            ],
        ]
    }
}
