import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigIPAM
import PodrigPod

/// kubectl wait for pods: until a condition holds (`condition=Ready`, `condition=Ready=false`),
/// a field has a value (`jsonpath={.status.phase}=Running`), or the pod is gone (`delete`).
struct PodWait: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Wait for pods to meet a condition, like `kubectl wait`: a condition, a field's value, or deletion.",
        discussion: """
            Pods are named as kubectl names them (pod/NAME, or NAME after `pods`), or chosen with --all or -l in the \
            namespace. Prints `pod/NAME condition met` (`deleted`) for each; on timeout, an error naming the pods \
            still waited for, exit 1. A named pod that does not exist is an error, except for --for=delete.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var network: NetworkOptions
    @OptionGroup var pod: PodOptions

    @Option(name: .customLong("for"), help: ArgumentHelp("condition=TYPE[=VALUE], jsonpath={.path}[=VALUE] or delete.", valueName: "what"))
    var condition: String

    @Option(help: ArgumentHelp("How long to wait (30s, 5m; 0: check once).", valueName: "duration"))
    var timeout = "30s"

    @Flag(help: "Every pod in the namespace.")
    var all = false

    @Option(name: [.customShort("l"), .customLong("selector")], help: ArgumentHelp("The pods whose labels match.", valueName: "selector"))
    var selector: String?

    @Argument(help: ArgumentHelp("pod/NAME, or pods followed by names.", valueName: "pod"))
    var targets: [String] = []

    enum Goal: Equatable {
        case condition(type: String, value: String)
        case field(path: [JSONPathTemplate.Step], value: String?)
        case delete
    }

    static func goal(_ text: String) throws(PodrigError) -> Goal {
        if text == "delete" { return .delete }
        if text.hasPrefix("condition=") {
            let rest = text.dropFirst("condition=".count)
            let parts = rest.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let type = parts.first, !type.isEmpty else { throw PodrigError.invalid("--for: \"\(text)\" names no condition type") }
            return .condition(type: String(type), value: parts.count > 1 ? String(parts[1]) : "true")
        }
        if text.hasPrefix("jsonpath=") {
            let rest = String(text.dropFirst("jsonpath=".count))
            // {.a.b}=value, the braces optional as kubectl allows.
            var expression = rest, value: String?
            if rest.hasPrefix("{"), let close = JSONPathTemplate.closingBrace(rest, from: rest.startIndex) {
                expression = String(rest[rest.index(after: rest.startIndex)..<close])
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix("=") { value = String(after.dropFirst()) } else if !after.isEmpty {
                    throw PodrigError.invalid("--for: \"\(text)\": expected {.path}=value")
                }
            } else if let eq = rest.firstIndex(of: "=") {
                expression = String(rest[..<eq])
                value = String(rest[rest.index(after: eq)...])
            }
            return .field(path: try JSONPathTemplate.parsePath(expression), value: value)
        }
        throw PodrigError.invalid("--for: \"\(text)\" is not condition=TYPE[=VALUE], jsonpath={.path}[=VALUE] or delete")
    }

    /// The pod names the arguments give: pod/NAME, pods/NAME, or a bare `pod(s)` then names.
    func names() throws(PodrigError) -> [String] {
        var out: [String] = []
        for (i, t) in targets.enumerated() {
            let parts = t.split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                guard ["pod", "pods", "po"].contains(parts[0].lowercased()) else { throw PodrigError.invalid("\(t): podrig waits for pods only") }
                out.append(parts[1])
            } else if i == 0 && ["pod", "pods", "po"].contains(t.lowercased()) {
                continue
            } else {
                out.append(t)
            }
        }
        return out
    }

    func validate() throws {
        do {
            _ = try Self.goal(condition)
            let ns = try IPAMDuration.parse(timeout, what: "--timeout")
            if ns > Int64(SecondsOption.year * 1e9) { throw PodrigError.invalid("--timeout: at most a year") }
            let named = try names()
            if named.isEmpty && !all && selector == nil { throw PodrigError.invalid("give pod/NAME, --all or -l SELECTOR") }
            if !named.isEmpty && (all || selector != nil) { throw PodrigError.invalid("pod names cannot be given with --all or -l") }
        } catch let e as PodrigError {
            throw ValidationError(e.message)
        }
        try SelectorOption.check(selector)
    }

    func run() throws {
        global.apply()
        let manager = try makePodManager(global, network, pod)
        let goal = try Self.goal(condition)
        let namespace = pod.namespace ?? "default"
        let deadline = Time.nowNanos() + (try IPAMDuration.parse(timeout, what: "--timeout"))
        var waiting: [String] = try names()
        if waiting.isEmpty {
            waiting = try manager.pods(in: namespace, matching: selector).map(\.manifest.name)
            if waiting.isEmpty { throw PodrigError(.notFound, "no matching resources found") }
        } else if goal != .delete {
            for n in waiting { _ = try manager.find(n, namespace: namespace) }  // kubectl: NotFound at once
        }
        while true {
            var still: [String] = []
            for name in waiting {
                let p = try? manager.find(name, namespace: namespace)
                if Self.met(goal, p) {
                    print("pod/\(name) \(goal == .delete ? "deleted" : "condition met")")
                } else if p == nil && goal != .delete {
                    throw PodrigError(.notFound, "pod \(namespace)/\(name) went away while waited for")
                } else {
                    still.append(name)
                }
            }
            fflush(nil)
            waiting = still
            if waiting.isEmpty { return }
            if Time.nowNanos() >= deadline {
                throw PodrigError(.timeout, "timed out waiting for the condition on \(waiting.map { "pods/\($0)" }.joined(separator: ", "))")
            }
            usleep(100_000)
        }
    }

    static func met(_ goal: Goal, _ p: PodManager.Pod?) -> Bool {
        switch goal {
        case .delete:
            return p == nil
        case .condition(let type, let value):
            guard let conditions = p?.statusJSON["conditions"]?.array else { return false }
            return conditions.contains {
                $0["type"]?.string?.lowercased() == type.lowercased() && $0["status"]?.string?.lowercased() == value.lowercased()
            }
        case .field(let path, let value):
            guard let p else { return false }
            let found = JSONPathTemplate.evaluate(path, in: p.document)
            guard let value else { return !found.isEmpty }
            return found.contains { JSONPathTemplate.text($0) == value }
        }
    }
}
