#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import Testing

/// The Go programs under Tests/interop, built offline with Debian's Go against Debian's libcni
/// (golang-github-appc-cni-dev, GOPATH mode: libcni needs only the standard library), cached in
/// the build directory and rebuilt when their source is newer.
enum GoTools {
    static let sourceDirectory = Files.dirname(of: Files.dirname(of: #filePath)) + "/interop"
    static let libcniSource = "/usr/share/gocode/src/github.com/containernetworking/cni/libcni"
    static let outputDirectory = TestBinaries.directory + "/interop"

    /// Go and the libcni sources are installed (hack/deps).
    static let available = Files.exists("/usr/bin/go") && Files.isDirectory(libcniSource)

    static let libcniClient = build("libcni-client")
    static let dnsLookup = build("dns-lookup")

    /// The binary's path, or nil with the build error recorded.
    static func build(_ name: String) -> Result<String, PodrigError> {
        let src = sourceDirectory + "/" + name, out = outputDirectory + "/" + name
        let r = sh("""
            mkdir -p \(outputDirectory) && cd \(src) && { [ \(out) -nt main.go ] || { \
            GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=\(outputDirectory)/go-cache GOPROXY=off GOFLAGS= HOME=/tmp \
            go build -o \(out).tmp . && mv \(out).tmp \(out); }; }
            """, timeout: 300)
        return r.code == 0 ? .success(out) : .failure(PodrigError(.internalError, "go build \(name): \(r.err.trimmed)"))
    }
}

extension CNITestEnv {
    /// The libcni client (cnitool's command line and environment) on this env's dirs, in the node
    /// netns when there is one.
    @discardableResult
    func libcni(_ args: String, env extra: String = "") throws -> (code: Int32, out: String, err: String) {
        let client = try GoTools.libcniClient.get()
        let prefix = node.map { "nsenter --net=/run/netns/\($0) " } ?? ""
        return sh("NETCONFPATH=\(confDir) CNI_PATH=\(binDir):/usr/lib/cni:\(TestBinaries.directory) CNI_CACHE_DIR=\(cacheDir) \(extra) \(prefix)\(client) \(args)")
    }
}

extension CNITestEnv {
    /// The podrig CLI run from `directory` (for relative netns paths), host netns.
    @discardableResult
    func cli(in directory: String, _ args: String) -> (code: Int32, out: String, err: String) {
        sh("cd \(directory) && PODRIG_NETWORK= \(TestBinaries.podrig) \(args) --root \(root.path) --pause-path \(TestBinaries.pause) "
           + "--cni-conf-dir \(confDir) --cni-cache-dir \(cacheDir) --cni-bin-dir \(binDir):/usr/lib/cni:\(TestBinaries.directory)")
    }
}

/// A netns of a test's own, removed at the end.
func withTestNetns(_ name: String, _ body: (String) throws -> Void) rethrows {
    sh("ip netns del \(name) 2>/dev/null; ip netns add \(name)")
    defer { sh("ip netns del \(name)") }
    try body("/run/netns/" + name)
}
