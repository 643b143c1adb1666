/// A place in the CNI documents a rule comes from: the file and the section heading, verbatim,
/// so a reader finds it with the heading's anchor.
public struct CTReference: Sendable, Hashable {
    public var document: String
    public var heading: String

    public var text: String { "\(document) \"\(heading)\"" }

    static func spec(_ heading: String) -> CTReference { CTReference(document: "SPEC.md", heading: heading) }
    static func conventions(_ heading: String) -> CTReference { CTReference(document: "CONVENTIONS.md", heading: heading) }

    // SPEC.md (spec 1.1) headings.
    static let add = spec("`ADD`: Add container to network, or apply modifications")
    static let del = spec("`DEL`: Remove container from network, or un-apply modifications")
    static let check = spec("`CHECK`: Check container's networking is as expected")
    static let status = spec("`STATUS`: Check plugin status")
    static let version = spec("`VERSION`: probe plugin version support")
    static let gc = spec("`GC`: Clean up any stale resources")
    static let parameters = spec("Parameters")
    static let errors = spec("Errors")
    static let lifecycle = spec("Lifecycle & Ordering")
    static let addingAttachment = spec("Adding an attachment")
    static let addSuccess = spec("ADD Success")
    static let versionSuccess = spec("VERSION Success")
    static let error = spec("Error")
    static let cniArgs = conventions("CNI_ARGS")
}

/// One rule a plugin must keep. The catalogue is defined once here; results refer to it by id.
public struct CTRule: Sendable, Hashable {
    public var id: String
    public var summary: String
    public var references: [CTReference]

    /// The part of the id before the dot: the column of the reference table.
    public var group: String { String(id.split(separator: ".").first ?? "") }

    public var referenceText: String { references.map(\.text).joined(separator: "; ") }

    public static let versionReply = CTRule(id: "version.reply", summary: "VERSION prints {cniVersion, supportedVersions} with valid versions",
                                            references: [.version, .versionSuccess])
    public static let versionUnsupported = CTRule(id: "version.unsupported", summary: "a config version the plugin does not support fails with code 1",
                                                  references: [.version, .errors])
    public static let addResult = CTRule(id: "add.result", summary: "ADD succeeds with a result valid for the config's version",
                                         references: [.add, .addSuccess])
    public static let addKernel = CTRule(id: "add.kernel", summary: "the kernel agrees with the result (interfaces, addresses, routes, host side)",
                                         references: [.add, .addSuccess])
    public static let addTwice = CTRule(id: "add.twice", summary: "a second ADD of the same attachment errors or returns the same result, adding nothing",
                                        references: [.add])
    public static let chainPrevResult = CTRule(id: "chain.prevresult", summary: "a chained plugin passes prevResult through or extends it",
                                               references: [.add, .addingAttachment])
    public static let checkAfterAdd = CTRule(id: "check.after-add", summary: "CHECK right after ADD passes",
                                             references: [.check])
    public static let checkDetectsChange = CTRule(id: "check.detects-change", summary: "CHECK fails after an address of the result is removed",
                                                  references: [.check])
    public static let delCleans = CTRule(id: "del.cleans", summary: "DEL removes what ADD made: links, addresses, lease, iptables rules naming the container",
                                         references: [.del])
    public static let delTwice = CTRule(id: "del.twice", summary: "a second DEL succeeds", references: [.del, .lifecycle])
    public static let delWithoutAdd = CTRule(id: "del.without-add", summary: "DEL with no ADD before succeeds", references: [.del])
    public static let delNetnsGone = CTRule(id: "del.netns-gone", summary: "DEL after the netns was deleted succeeds and releases the lease",
                                            references: [.del])
    public static let delNoPrevResult = CTRule(id: "del.no-prevresult", summary: "DEL without prevResult succeeds and releases the lease",
                                               references: [.del])
    public static let gcKeepsValid = CTRule(id: "gc.keeps-valid", summary: "GC releases nothing of an attachment in cni.dev/valid-attachments",
                                            references: [.gc])
    public static let gcReleasesStale = CTRule(id: "gc.releases-stale", summary: "GC with an empty valid list releases a killed attachment's leftovers",
                                               references: [.gc])
    public static let statusWellFormed = CTRule(id: "status.wellformed", summary: "STATUS exits 0 with no output or fails with an error JSON",
                                                references: [.status, .error])
    public static let inputMalformed = CTRule(id: "input.malformed-config", summary: "malformed config JSON fails with code 6 or 7 and an error JSON",
                                              references: [.errors, .error])
    public static let inputMissingNetns = CTRule(id: "input.missing-netns", summary: "ADD without CNI_NETNS fails with code 4 or 7 and an error JSON",
                                                 references: [.parameters, .errors])
    public static let inputBadContainerID = CTRule(id: "input.bad-containerid", summary: "an invalid CNI_CONTAINERID fails with code 4 or 7 and an error JSON",
                                                   references: [.parameters, .errors])
    public static let inputK8sArgs = CTRule(id: "input.k8s-args", summary: "ADD accepts Kubernetes' CNI_ARGS with IgnoreUnknown=1",
                                            references: [.cniArgs])
    public static let concurrency = CTRule(id: "concurrency.parallel", summary: "parallel ADDs into distinct netns get distinct addresses; parallel DELs succeed and release",
                                           references: [.lifecycle])
    public static let timing = CTRule(id: "timing.median", summary: "median ADD and DEL time (informational)", references: [])
    public static let noLeaks = CTRule(id: "world.no-leaks", summary: "nothing is left in the runner's namespaces after the last DEL",
                                       references: [.del])

    public static let all: [CTRule] = [
        versionReply, versionUnsupported, addResult, addKernel, addTwice, chainPrevResult, checkAfterAdd, checkDetectsChange,
        delCleans, delTwice, delWithoutAdd, delNetnsGone, delNoPrevResult, gcKeepsValid, gcReleasesStale, statusWellFormed,
        inputMalformed, inputMissingNetns, inputBadContainerID, inputK8sArgs, concurrency, timing, noLeaks,
    ]

    /// Groups in table order.
    public static let groups = ["version", "add", "chain", "check", "del", "gc", "status", "input", "concurrency", "world"]
}
