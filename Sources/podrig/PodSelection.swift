import ArgumentParser
import PodrigCore
import PodrigPod

/// How the kubectl-shaped verbs (down, wait, describe, logs, get) pick pods and show one.
extension PodManager {
    /// The pods of `namespace` (every namespace's when nil) whose labels match `selector`,
    /// ordered by namespace and name, as kubectl lists them.
    func pods(in namespace: String?, matching selector: String?) throws -> [Pod] {
        let sel = try selector.map { try LabelSelector.parse($0) }
        return try list().filter { p in (namespace == nil || p.manifest.namespace == namespace) && (sel?.matches(p.manifest.labels) ?? true) }
            .sorted { ($0.manifest.namespace, $0.manifest.name) < ($1.manifest.namespace, $1.manifest.name) }
    }
}

extension PodManager.Pod {
    /// The v1 Pod as `get -o json` prints it: the manifest, its spec with the defaults written out
    /// and this node's name, and the status. `-o jsonpath`, `--sort-by`, `wait --for=jsonpath` and
    /// `describe` all read this one document.
    var document: JSON {
        var doc = manifest.raw
        doc["spec"] = PodStatusView.defaultedSpec(manifest, nodeName: record.node?.name ?? manifest.spec.nodeName ?? PodFiles.nodeName())
        doc["status"] = statusJSON
        return doc
    }
}

/// kubectl's -l checked in validate(), so a bad selector is a usage error naming the option.
enum SelectorOption {
    static func check(_ selector: String?) throws {
        guard let selector else { return }
        do { _ = try LabelSelector.parse(selector) } catch { throw ValidationError("-l: \(error.asPodrigError.message)") }
    }
}

/// crictl's --label key=value filters (ps, pods): each one must match exactly.
enum LabelFilters {
    /// nil when one lacks its '='.
    static func parse(_ labels: [String]) -> [(key: String, value: String)]? {
        var out: [(key: String, value: String)] = []
        for l in labels {
            guard let eq = l.firstIndex(of: "=") else { return nil }
            out.append((String(l[..<eq]), String(l[l.index(after: eq)...])))
        }
        return out
    }

    static func check(_ labels: [String]) throws {
        for l in labels where !l.contains("=") { throw ValidationError("--label must be key=value, got \"\(l)\"") }
    }

    static func matches(_ filters: [(key: String, value: String)], _ labels: [String: String]) -> Bool {
        filters.allSatisfy { labels[$0.key] == $0.value }
    }
}
