import CPodrig

public enum Identifiers {
    /// A new 64-hex-character ID, as containerd and CRI-O make them.
    public static func newID() throws(PodrigError) -> String {
        hex(try random(32))
    }

    /// `count` bytes from getrandom(2); its failure is an error, never zeros in an ID.
    public static func random(_ count: Int) throws(PodrigError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try checked(pr_random(&bytes, count), "getrandom(\(count) bytes)")
        return bytes
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func isHexID(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// Resolves an ID or unique prefix among `ids`, as crictl does.
    public static func resolve(_ prefix: String, among ids: [String], kind: String) throws(PodrigError) -> String {
        if prefix.isEmpty { throw PodrigError(.usage, "empty \(kind) ID") }
        let matches = ids.filter { $0.hasPrefix(prefix) }
        if matches.count == 1 { return matches[0] }
        if matches.isEmpty { throw PodrigError(.notFound, "\(kind) \"\(prefix)\" not found") }
        if matches.contains(prefix) { return prefix }
        throw PodrigError(.conflict, "\(kind) ID prefix \"\(prefix)\" is ambiguous (\(matches.count) matches)")
    }

    /// CRI's rule for the stop and remove verbs, one for every ID shape (64-hex, UUID, prefix):
    /// an ID that matches nothing names something already gone, so the verb succeeds (nil here);
    /// an empty or ambiguous one is still an error.
    public static func resolveIfPresent(_ prefix: String, among ids: [String], kind: String) throws(PodrigError) -> String? {
        do {
            return try resolve(prefix, among: ids, kind: kind)
        } catch {
            if error.code == .notFound { return nil }
            throw error
        }
    }
}

/// podrig's own version (`podrig --version`, CRI RuntimeVersion): PR_VERSION in
/// CShims/CPodrig/include/pr_version.h, which CShims/early also answers `--version` with.
public enum PodrigVersion {
    public static let current: String = PR_VERSION
}
