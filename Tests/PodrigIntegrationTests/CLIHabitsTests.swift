@testable import podrig
import ArgumentParser
import PodrigCore
import Testing

/// crictl's and kubectl's habits: global options before the verb, `completion`.
@Suite struct CLIHabitsTests {
    /// Every leaf command with its subcommand path ("get", "cni add", …).
    static func leaves(_ type: ParsableCommand.Type = Podrig.self, path: [String] = []) -> [([String], ParsableCommand.Type)] {
        let subs = type.configuration.subcommands
        if subs.isEmpty { return [(path, type)] }
        return subs.flatMap { leaves($0, path: path + [$0._commandName]) }
    }

    static func options(_ type: ParsableArguments.Type) -> Set<String> {
        Set(type.helpMessage(columns: 1000).split(whereSeparator: { !($0.isLetter || $0 == "-") })
            .filter { $0.hasPrefix("-") && $0.count > 1 && $0 != "--help" && $0 != "-h" }.map(String.init))
    }

    @Test func leadingOptionsListMatchesTheOptionGroups() {
        let defined = Self.options(GlobalOptions.self).union(Self.options(NetworkOptions.self)).union(Self.options(PodOptions.self))
        #expect(defined == LeadingOptions.valued.union(LeadingOptions.flags), "\(defined.symmetricDifference(LeadingOptions.valued.union(LeadingOptions.flags)))")
        #expect(LeadingOptions.valued.isDisjoint(with: LeadingOptions.flags))
    }

    @Test func everyVerbTakesGlobalOptionsBeforeIt() throws {
        let leaves = Self.leaves()
        #expect(leaves.count >= 25)
        for (path, type) in leaves {
            let before = ["--root", "/r", "-v", "--debug", "--cni-conf-dir=/c"] + path + ["x"]
            let moved = LeadingOptions.normalize(before)
            #expect(moved == path + ["--root", "/r", "-v", "--debug", "--cni-conf-dir=/c", "x"], "\(path): \(moved)")
            // Where the verb takes GlobalOptions, ArgumentParser reads them as if written after it.
            guard Self.options(type).contains("--root") else { continue }
            let args = LeadingOptions.normalize(["--root", "/r"] + path + ["--help"])
            #expect(args.prefix(path.count + 2) == ArraySlice(path + ["--root", "/r"]))
        }
        // The kubectl and crictl spellings of the issue.
        let get = try #require(try Podrig.parseAsRoot(LeadingOptions.normalize(["-n", "kube-system", "get", "pods"])) as? PodGet)
        #expect(get.pod.namespace == "kube-system" && get.resource == "pods")
        let runp = try #require(try Podrig.parseAsRoot(LeadingOptions.normalize(["--cni-conf-dir", "/d", "--root", "/r", "runp", "pod.json"])) as? RunPodSandbox)
        #expect(runp.network.cniConfDir == "/d" && runp.global.root == "/r" && runp.podConfig == "pod.json")
        // The hot verbs' hand parser sees the same arguments and gives the same values.
        let quick = try #require(QuickVerbs.parse(LeadingOptions.normalize(["--root", "/r", "-v", "pods", "-q"])))
        #expect(quick.flags.root == "/r" && quick.flags.verbose)
        // What it does not know goes along for the verb's parser to report.
        #expect(LeadingOptions.normalize(["--bogus", "pods"]) == ["pods", "--bogus"])
        #expect(LeadingOptions.normalize(["--version"]) == ["--version"])
        #expect(LeadingOptions.normalize(["--root"]) == ["--root"])
        #expect(LeadingOptions.normalize(["-n", "ns", "exec", "p", "--", "sh"]) == ["exec", "-n", "ns", "p", "--", "sh"])
    }

    /// Every option that takes seconds: nan, inf, 1e300, 0 and negatives are a validation error
    /// (a deadline that does not fit a timespec trapped before), reasonable values parse.
    @Test func secondsOptionsAreBounded() throws {
        let uses: [(String) -> [String]] = [
            { ["pods", "--cni-timeout", $0] }, { ["runp", "--cni-timeout", $0, "p.json"] },
            { ["exec", "--timeout", $0, "p", "--", "true"] }, { ["up", "--timeout", $0, "f.yaml"] },
            { ["stats", "--window", $0] }, { ["top", "pods", "--window", $0] }, { ["cni", "test", "--timeout", $0, "--conf", "c.conf"] },
        ]
        for use in uses {
            for bad in ["nan", "inf", "1e300", "0", "-1"] {
                #expect(throws: (any Error).self, "\(use(bad))") { _ = try Podrig.parseAsRoot(use(bad)) }
            }
            #expect(throws: Never.self, "\(use("2.5"))") { _ = try Podrig.parseAsRoot(use("2.5")) }
        }
        // The hot verbs' hand parser refuses them too (ArgumentParser then names the option).
        #expect(QuickVerbs.parse(["pods", "--cni-timeout", "nan"]) == nil)
        #expect(QuickVerbs.parse(["pods", "--cni-timeout", "2.5"])?.flags.cniTimeout == 2.5)
        let r = sh("\(TestBinaries.podrig) --cni-timeout inf pods")
        #expect(r.code == 2 && r.err.contains("--cni-timeout must be a positive number of seconds"), "\(r.err)")
    }

    /// crictl's exec without `--`: everything after the container is the command.
    @Test func execTakesCrictlsCommandLine() throws {
        let f = ExecCommandLine.insertTerminator
        #expect(f(["exec", "c", "ls", "-l"]) == ["exec", "c", "--", "ls", "-l"])
        #expect(f(["exec", "-it", "c", "sh", "-c", "echo hi"]) == ["exec", "-it", "c", "--", "sh", "-c", "echo hi"])
        #expect(f(["exec", "-c", "web", "--root", "/r", "--timeout=5", "p", "cat", "/x"])
                == ["exec", "-c", "web", "--root", "/r", "--timeout=5", "p", "--", "cat", "/x"])
        #expect(f(["exec", "p", "-c", "web", "--", "sh"]) == ["exec", "p", "-c", "web", "--", "sh"])
        #expect(f(["exec", "-it", "p", "--", "sh"]) == ["exec", "-it", "p", "--", "sh"])
        // A `--` of the command's own (git's, a script's) stays the command's.
        #expect(f(["exec", "c", "git", "log", "--", "f"]) == ["exec", "c", "--", "git", "log", "--", "f"])
        #expect(f(["exec", "-c", "web", "p", "sh", "-c", "echo -- x"]) == ["exec", "-c", "web", "p", "--", "sh", "-c", "echo -- x"])
        let git = try #require(try Podrig.parseAsRoot(f(["exec", "c", "git", "log", "--", "f"])) as? PodExec)
        #expect(git.podName == "c" && git.command == ["git", "log", "--", "f"])
        #expect(f(["exec", "p"]) == ["exec", "p"])
        #expect(f(["logs", "p", "-f"]) == ["logs", "p", "-f"])
        let e = try #require(try Podrig.parseAsRoot(f(LeadingOptions.normalize(["-n", "ns", "exec", "-i", "c1", "sh", "-c", "ls -l"]))) as? PodExec)
        #expect(e.podName == "c1" && e.command == ["sh", "-c", "ls -l"] && e.interactive && e.pod.namespace == "ns")
        // The valued list is exec's: an option that takes a value eats the "x" and leaves no container.
        let own = Self.options(PodExec.self).subtracting(LeadingOptions.valued).subtracting(LeadingOptions.flags).subtracting(["--"])
        let valued = Set(own.filter { (try? PodExec.parse([$0, "x"])) == nil })
        #expect(valued == ExecCommandLine.valued, "\(valued)")
    }

    @Test func theCLIAcceptsThem() {
        let root = TestRoot()
        var r = sh("\(TestBinaries.podrig) --root \(root.path) pods -q")
        #expect(r.code == 0 && r.out.isEmpty, "\(r.err)")
        r = sh("\(TestBinaries.podrig) --root \(root.path) -n kube-system get pods")
        #expect(r.code == 0, "\(r.err)")
        r = sh("\(TestBinaries.podrig) --root \(root.path) --bogus pods")
        #expect(r.code == 2 && r.err.contains("--bogus"), "\(r.err)")
    }

    @Test(arguments: ["bash", "zsh", "fish"]) func completionScripts(_ shell: String) throws {
        let r = sh("\(TestBinaries.podrig) completion \(shell)")
        #expect(r.code == 0 && r.out.contains("runp") && r.out.contains("--root"), "\(r.err)")
        if shell == "bash" {
            let file = "/tmp/podrig-completion-\((try! Identifiers.newID()).prefix(8)).bash"
            defer { try? Files.remove(file) }
            try Files.writeAtomic(file, r.out)
            let check = sh("bash -n \(file)")
            #expect(check.code == 0, "\(check.err)")
        }
    }
}
