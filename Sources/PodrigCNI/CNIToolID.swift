#if canImport(Glibc)
import Glibc
#endif
import PodrigCore

/// How cnitool names an attachment on a bare netns path, so `podrig cni` and cnitool (or any
/// libcni client doing the same) meet on one cache entry: the path made absolute as Go's
/// filepath.Abs does, and `cnitool-` + the first 10 bytes of its SHA-512 in hex.
public enum CNIToolID {
    public static func containerID(netns absolutePath: String) -> String {
        "cnitool-" + SHA512.hex(SHA512.hash(Array(absolutePath.utf8)).prefix(10))
    }

    /// filepath.Abs: a relative path joins the working directory (os.Getwd: $PWD when it names
    /// the current directory, as a shell keeps it; else getcwd), then Clean.
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return clean(path) }
        return clean(workingDirectory() + "/" + path)
    }

    static func workingDirectory() -> String {
        var dot = stat(), pwd = stat()
        if let env = getenv("PWD").map({ String(cString: $0) }), env.hasPrefix("/"),
           stat(".", &dot) == 0, stat(env, &pwd) == 0, dot.st_dev == pwd.st_dev, dot.st_ino == pwd.st_ino {
            return env
        }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buf, buf.count) != nil else { return "/" }
        return String(cString: buf)
    }

    /// filepath.Clean: one slash between elements, no `.`, `..` eats the element before it and
    /// stops at the root; "" becomes ".".
    public static func clean(_ path: String) -> String {
        let rooted = path.hasPrefix("/")
        var parts: [Substring] = []
        for p in path.split(separator: "/", omittingEmptySubsequences: true) {
            if p == "." { continue }
            if p == ".." {
                if let last = parts.last, last != ".." { parts.removeLast(); continue }
                if rooted { continue }
            }
            parts.append(p)
        }
        let body = parts.joined(separator: "/")
        if rooted { return "/" + body }
        return body.isEmpty ? "." : body
    }
}
