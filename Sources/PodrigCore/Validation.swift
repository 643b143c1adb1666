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

    /// A CRI name (sandbox name, namespace): CRI sets no length or case limit (critest's own
    /// sandboxes are `create-PodSandbox-for-container-<uuid>`), and podrig's paths use IDs, so
    /// only what the name is passed through is checked: CNI_ARGS.
    public static func criName(_ value: String, what: String) throws(PodrigError) {
        if value.isEmpty { throw PodrigError.invalid("\(what) must not be empty") }
        try cniArgValue(value, what: what)
    }

    /// A name that becomes one file name (a CRI container's directory under its own ID's).
    public static func fileName(_ value: String, what: String) throws(PodrigError) {
        if value.isEmpty { throw PodrigError.invalid("\(what) must not be empty") }
        if value == "." || value == ".." || value.utf8.contains(0x2F) || value.utf8.contains(0) || value.utf8.count > 255 {
            throw PodrigError.invalid("\(what) \"\(value)\" cannot be a file name (no '/', not . or .., at most 255 bytes)")
        }
        for u in value.unicodeScalars where u.value < 0x20 || u.value == 0x7F {
            throw PodrigError.invalid("\(what) \"\(value)\" contains a control character")
        }
    }

    /// The hostname a pod gets from its name when none is given, as kubelet derives it
    /// (truncatePodHostnameIfNeeded): at most 63 bytes, no trailing '-' or '.'; characters a
    /// hostname cannot hold become '-'.
    public static func hostname(fromName name: String) -> String {
        var bytes = Array(name.utf8.map { c -> UInt8 in
            let ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2E
            return ok ? c : 0x2D
        }.prefix(63))
        while let last = bytes.last, last == 0x2D || last == 0x2E { bytes.removeLast() }
        return bytes.isEmpty ? "pod" : String(decoding: bytes, as: UTF8.self)
    }

    /// A value that is safe inside CNI_ARGS (no ';' or '=') and printable.
    public static func cniArgValue(_ value: String, what: String) throws(PodrigError) {
        for u in value.unicodeScalars where u == ";" || u == "=" || u.value < 0x20 {
            throw PodrigError.invalid("\(what) \"\(value)\" cannot be passed in CNI_ARGS (contains ';', '=' or a control character)")
        }
    }

    /// A port name, IANA_SVC_NAME as Kubernetes checks it (IsValidPortName): 1–15 characters of
    /// a–z, 0–9 and '-', at least one letter, no '-' at either end nor two in a row.
    public static func portName(_ value: String, what: String) throws(PodrigError) {
        let b = Array(value.utf8)
        let problem: String? =
            b.isEmpty || b.count > 15 ? "it must be 1 to 15 characters"
            : !b.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) ? "use only lower-case letters, digits and '-'"
            : !b.contains(where: { $0 >= 0x61 && $0 <= 0x7A }) ? "it must contain at least one letter"
            : b.first == 0x2D || b.last == 0x2D || value.contains("--") ? "no '-' at either end, nor two in a row"
            : nil
        if let problem { throw PodrigError.invalid("\(what) \"\(value)\" is not a valid port name: \(problem)") }
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
