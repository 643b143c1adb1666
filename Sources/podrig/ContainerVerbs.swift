import ArgumentParser
import PodrigCore
import PodrigPod

/// start/stop/rm on each ID in turn, as crictl does: one failing ID is reported and the rest
/// still run; the exit status is 1 if any failed. Prints each container's full ID when done.
/// With `goneIsDone` (stop, rm) an ID that matches nothing succeeds, as CRI requires.
func forEachContainer(_ ids: [String], in cri: CRIContainers, doing verb: String, goneIsDone: Bool = false,
                      _ body: (CRIContainers.Container) throws -> Void) throws {
    var failures = 0
    for prefix in ids {
        do {
            guard let c = goneIsDone ? try cri.findIfPresent(prefix) : try cri.find(prefix) else { print(prefix); continue }
            try body(c)
            print(c.id)
        } catch {
            Log.write("podrig: error: \(verb) container \"\(prefix)\": \(error.asPodrigError)\n")
            failures += 1
        }
    }
    if failures > 0 { throw ExitCode(1) }
}
