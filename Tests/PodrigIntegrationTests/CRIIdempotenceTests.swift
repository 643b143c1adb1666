#if canImport(Glibc)
import Glibc
#endif
import PodrigCore
import PodrigPod
import PodrigSandbox
import Testing

/// critest's Idempotence scenarios (cri-tools pkg/validate/idempotence.go): stop and remove of
/// what is gone or already stopped succeed, whatever the ID's shape.
@Suite(.serialized) struct CRIIdempotenceTests {
    static let shapes = ["0b6ad7c4-0dde-4a25-9c35-23f2a8d1a5b0", String(repeating: "c0", count: 32), "crc-gone", "0"]

    @Test(.enabled(if: isRoot)) func unknownIDsSucceed() {
        let bed = PodBed()
        for id in Self.shapes {
            for verb in ["stopp", "rmp", "rmp -f", "stop -t 0", "rm", "rm -f"] {
                let r = bed.cli("\(verb) \(id)")
                #expect(r.code == 0 && r.err.isEmpty, "\(verb) \(id): \(r)")
            }
        }
        // Still errors: an empty ID, and a prefix that names two.
        #expect(bed.cli("stopp ''").code != 0)
        LeakCheck.rootEmpty(bed.root)
    }

    @Test(.enabled(if: isRoot)) func stopTwiceRemoveTwice() throws {
        let bed = PodBed()
        let sb = bed.manifest(#"{"metadata": {"name": "idempotence-pod-crc", "namespace": "crc", "uid": "crc-idem"}}"#, name: "sandbox.json")
        let sandbox = bed.cli("runp \(sb)").out.trimmed
        try #require(Identifiers.isHexID(sandbox))
        let cc = bed.manifest("""
            metadata: {name: idempotence-container-crc}
            command: [sleep, "60"]
            """, name: "c.yaml")
        let id = bed.cli("create \(sandbox) \(cc)").out.trimmed
        #expect(bed.cli("start \(id)").code == 0)
        #expect(bed.cli("stop -t 0 \(id)").code == 0)
        #expect(bed.cli("stop -t 0 \(id)").code == 0, "stopping a stopped container succeeds")
        let state = try JSONParser.parse(bed.cli("inspect \(id)").out)["status"]?["state"]?.string
        #expect(state == "CONTAINER_EXITED")
        #expect(bed.cli("rm \(id)").code == 0)
        let again = bed.cli("rm \(id)")
        #expect(again.code == 0 && again.out.trimmed == id, "a second rm succeeds: \(again)")
        for _ in 0..<2 {
            #expect(bed.cli("stopp \(sandbox)").code == 0)
            let st = try JSONParser.parse(bed.cli("inspectp \(sandbox)").out)["status"]?["state"]?.string
            #expect(st == "SANDBOX_NOTREADY")
        }
        let record = try bed.root.manager.status(sandbox)
        #expect(bed.cli("rmp \(sandbox)").code == 0)
        #expect(bed.cli("rmp \(sandbox)").code == 0, "a second rmp succeeds")
        #expect(bed.cli("stopp \(sandbox)").code == 0, "stopp of a removed sandbox succeeds")
        LeakCheck.sandboxGone(record, root: bed.root)
        LeakCheck.doctorClean(root: bed.root, ids: [sandbox])
    }

    /// A prefix that matches two sandboxes is still an error, not "gone".
    @Test(.enabled(if: isRoot)) func ambiguousPrefixFails() throws {
        let bed = PodBed()
        let sb = bed.manifest(#"{"metadata": {"name": "crc-amb"}}"#, name: "sandbox.json")
        var ids: [String] = []
        // Hex IDs share a one-character prefix within a few tries.
        while ids.count < 40 {
            ids.append(bed.cli("runp \(sb)").out.trimmed)
            let firsts = ids.map { $0.prefix(1) }
            if Set(firsts).count < firsts.count { break }
        }
        let firsts = ids.map { String($0.prefix(1)) }
        let dup = firsts.first { f in firsts.filter { $0 == f }.count > 1 }!
        let r = bed.cli("stopp \(dup)")
        #expect(r.code == 1 && r.err.contains("ambiguous"), "\(r)")
        #expect(bed.cli("rmp -f \(ids.joined(separator: " "))").code == 0)
        LeakCheck.rootEmpty(bed.root)
    }
}
