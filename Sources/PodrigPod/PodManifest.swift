import PodrigCore
import PodrigCgroups

/// A Kubernetes v1 Pod, the parts podrig acts on. `raw` keeps the document as written so that
/// `podrig get pod -o yaml` can hand it back with a status.
public struct PodManifest: Sendable {
    public var raw: JSON
    public var name: String
    public var namespace: String
    public var uid: String
    public var labels: [String: String] = [:]
    public var annotations: [String: String] = [:]
    public var spec: PodSpec
    /// Fields accepted but not acted on, worth telling the user once.
    public var notes: [String] = []
    /// The ConfigMaps and Secrets `up` was given (not part of `raw`: only needed to make the pod).
    public var configData = ConfigData()
}

public enum RestartPolicy: String, Sendable, Codable {
    case always = "Always", onFailure = "OnFailure", never = "Never"
}

public struct PodSpec: Sendable {
    public var initContainers: [ContainerSpec] = []
    public var containers: [ContainerSpec] = []
    public var restartPolicy: RestartPolicy = .always
    public var terminationGracePeriodSeconds = 30
    /// kubelet fails the pod (reason DeadlineExceeded) once it was active this long; nil: never.
    public var activeDeadlineSeconds: Int?
    public var hostname: String?
    public var subdomain: String?
    public var hostAliases: [(ip: String, hostnames: [String])] = []
    public var dnsPolicy = "ClusterFirst"
    public var dnsConfig: (nameservers: [String], searches: [String], options: [String])?
    public var hostNetwork = false
    public var hostPID = false
    public var hostIPC = false
    public var shareProcessNamespace = false
    /// false: the pod gets its own user namespace (a 65536-ID range podrig picks, as kubelet does).
    public var hostUsers = true
    public var nodeName: String?
    public var serviceAccountName: String?
    public var securityContext = PodSecurityContext()
    public var volumes: [Volume] = []
    public var sysctls: [String: String] = [:]
}

public struct PodSecurityContext: Sendable {
    public var runAsUser: Int?
    public var runAsGroup: Int?
    public var runAsNonRoot: Bool?
    public var supplementalGroups: [Int] = []
    public var fsGroup: Int?
    /// Merge (default): also the groups /etc/group lists the user in; Strict: only those given.
    public var supplementalGroupsPolicy = "Merge"
    public var seccompProfile: SeccompChoice?
}

public enum SeccompChoice: Sendable, Equatable {
    case runtimeDefault, unconfined
    case localhost(String)
}

public struct ContainerSpec: Sendable {
    public var name: String
    public var image: String?
    public var command: [String] = []
    public var args: [String] = []
    public var workingDir: String?
    public var env: [EnvVar] = []
    public var envFrom: [EnvFromSource] = []
    public var volumeMounts: [VolumeMount] = []
    public var securityContext = SecurityContext()
    public var startupProbe: Probe?
    public var readinessProbe: Probe?
    public var livenessProbe: Probe?
    public var postStart: Handler?
    public var preStop: Handler?
    /// "Always" marks an init container as a sidecar.
    public var restartPolicy: String?
    public var terminationMessagePath = "/dev/termination-log"
    public var terminationMessagePolicy = "File"
    public var ports: [(name: String?, port: Int)] = []
    public var resources = ResourceRequirements()
    /// CRI `linux.resources` as given: written as they are instead of kubelet's mapping of `resources`.
    public var linuxResources: CgroupResources?
    /// stdin kept open for `podrig attach` (stdinOnce: closed after the first attach ends), and a pty.
    public var stdin = false
    public var stdinOnce = false
    public var tty = false

    public var isSidecar: Bool { restartPolicy == "Always" }
}

public struct EnvVar: Sendable {
    public var name: String
    public var value: String?
    /// valueFrom.fieldRef.fieldPath
    public var fieldPath: String?
    /// valueFrom.resourceFieldRef
    public var resourceField: ResourceFieldRef?
    /// valueFrom.configMapKeyRef / secretKeyRef
    public var keyRef: KeyRef?
}

public struct VolumeMount: Sendable {
    public var name: String
    public var mountPath: String
    public var readOnly = false
    public var subPath: String?
}

public struct Volume: Sendable {
    public enum Source: Sendable {
        case emptyDir(medium: String)
        case hostPath(path: String, type: String)
        /// configMap, secret, downwardAPI and projected volumes: files kubelet's atomic writer lays out.
        case projected(ProjectedVolume)
    }
    public var name: String
    public var source: Source
    /// emptyDir.sizeLimit (enforced for medium: Memory, as the tmpfs size).
    public var sizeLimit: Quantity?
}

public struct SecurityContext: Sendable {
    public var runAsUser: Int?
    /// CRI's run_as_username, resolved through the host's /etc/passwd (there is no image).
    public var runAsUsername: String?
    public var runAsGroup: Int?
    public var runAsNonRoot: Bool?
    public var privileged = false
    public var readOnlyRootFilesystem = false
    public var allowPrivilegeEscalation: Bool?
    public var capabilitiesAdd: [String] = []
    public var capabilitiesDrop: [String] = []
    public var seccompProfile: SeccompChoice?
    /// Paths hidden (/dev/null over a file, an empty read-only tmpfs over a directory) and made
    /// read-only; nil means kubelet's defaults, which a privileged container never gets.
    public var maskedPaths: [String]?
    public var readonlyPaths: [String]?

    /// kubelet's defaults for procMount Default (pkg/securitycontext/util.go), which it sends
    /// over CRI; containerd uses the same lists when a CRI request leaves the fields unset.
    public static let defaultMaskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    public static let defaultReadonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// What the container's mounts apply: none when privileged (kubelet and containerd clear them).
    public var effectiveMaskedPaths: [String] { privileged ? [] : maskedPaths ?? Self.defaultMaskedPaths }
    public var effectiveReadonlyPaths: [String] { privileged ? [] : readonlyPaths ?? Self.defaultReadonlyPaths }
}

public enum Handler: Sendable {
    case exec([String])
    case tcp(host: String?, port: Int)
    case http(host: String?, port: Int, path: String, scheme: String, headers: [(String, String)])
    case sleep(Int)
}

public struct Probe: Sendable {
    public var handler: Handler
    public var initialDelaySeconds = 0
    public var periodSeconds = 10
    public var timeoutSeconds = 1
    public var successThreshold = 1
    public var failureThreshold = 3
}
