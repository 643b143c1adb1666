/// Kubernetes name rules. Anything from a config that could end up in a path, an interface name
/// or CNI_ARGS is checked here first.
public enum Validate {
    /// RFC 1123 label: lower-case alphanumerics and '-', starting and ending alphanumeric, ≤ 63.
    public static func dns1123Label(_ value: String, what: String) throws(PodrigError) {
        if let problem = dns1123LabelProblem(value) {
            throw PodrigError.invalid("\(what) \"\(value)\" is not a valid name: \(problem)")
        }
    }

    /// RFC 1123 subdomain: labels joined by '.', ≤ 253 (pod names, hostnames).
    public static func dns1123Subdomain(_ value: String, what: String) throws(PodrigError) {
        if value.isEmpty { throw PodrigError.invalid("\(what) must not be empty") }
        if value.utf8.count > 253 {
            throw PodrigError.invalid("\(what) \"\(value)\" is longer than 253 characters")
        }
        for label in value.split(separator: ".", omittingEmptySubsequences: false) {
            if let problem = dns1123LabelProblem(String(label)) {
                throw PodrigError.invalid("\(what) \"\(value)\" is not a valid name: \(problem)")
            }
        }
    }

    static func dns1123LabelProblem(_ v: String) -> String? {
        if v.isEmpty { return "it must not be empty" }
        if v.utf8.count > 63 { return "it must be at most 63 characters" }
        let bytes = Array(v.utf8)
        for c in bytes {
            let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D
            if !ok { return "use only lower-case letters, digits and '-'" }
        }
        if bytes.first == 0x2D || bytes.last == 0x2D { return "it must start and end with a letter or digit" }
        return nil
    }

    /// A value that is safe inside CNI_ARGS (no ';' or '=') and printable.
    public static func cniArgValue(_ value: String, what: String) throws(PodrigError) {
        for u in value.unicodeScalars where u == ";" || u == "=" || u.value < 0x20 {
            throw PodrigError.invalid("\(what) \"\(value)\" cannot be passed in CNI_ARGS (contains ';', '=' or a control character)")
        }
    }

    /// A label or annotation key ([prefix/]name), as Kubernetes checks it.
    public static func labelKey(_ key: String, what: String) throws(PodrigError) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, !name.isEmpty, name.utf8.count <= 63 else {
            throw PodrigError.invalid("\(what) key \"\(key)\" is not a valid key")
        }
        if parts.count == 2 { try dns1123Subdomain(String(parts[0]), what: "\(what) key prefix") }
        for c in name.utf8 {
            let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)
                || c == 0x2D || c == 0x5F || c == 0x2E
            if !ok { throw PodrigError.invalid("\(what) key \"\(key)\" is not a valid key") }
        }
    }
}
