#if canImport(Glibc)
import Glibc
#endif

/// podrig's one error type: what failed (the step and the object it worked on), why (errno or
/// an underlying error), and a code that maps to the exit status.
public struct PodrigError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable, Codable {
        case usage           // bad command line (exit 2)
        case invalidInput    // a config, manifest or argument that cannot be used
        case notFound
        case alreadyExists
        case conflict        // e.g. ambiguous ID prefix, sandbox still ready
        case system          // a syscall failed (errno set)
        case cni             // a CNI plugin failed
        case timeout
        case notReady
        case internalError
    }

    public var code: Code
    public var message: String
    public var errno: Int32?
    public var cause: String?

    public init(_ code: Code, _ message: String, errno: Int32? = nil, cause: String? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
        self.cause = cause
    }

    /// `step(object): strerror(errno)`, the shape every syscall failure takes.
    public static func system(_ what: String, errno: Int32) -> PodrigError {
        PodrigError(.system, what, errno: errno)
    }

    public static func invalid(_ message: String) -> PodrigError {
        PodrigError(.invalidInput, message)
    }

    public var description: String {
        var text = message
        if let errno {
            text += ": " + String(cString: strerror(errno))
        }
        if let cause, !cause.isEmpty {
            text += ": " + cause
        }
        return text
    }

    /// The process exit status for this error: 2 for usage errors, 1 otherwise.
    public var exitCode: Int32 { code == .usage ? 2 : 1 }

    /// Prefixes context ("runp: ") to the message, keeping code and cause.
    public func context(_ prefix: String) -> PodrigError {
        var copy = self
        copy.message = prefix + ": " + message
        return copy
    }
}

extension Error {
    /// Any error as a PodrigError (unknown errors become internal ones with their description).
    public var asPodrigError: PodrigError {
        if let e = self as? PodrigError { return e }
        return PodrigError(.internalError, String(describing: self))
    }
}

/// The one reading of a pr_* result (the convention of CShims/CPodrig/include/pr_sys.h): a value
/// ≥ 0 is returned; -errno becomes PodrigError.system naming `what` (the step and its object).
@discardableResult @inline(__always)
public func checked(_ rc: Int32, _ what: @autoclosure () -> String) throws(PodrigError) -> Int32 {
    if rc < 0 { throw PodrigError.system(what(), errno: -rc) }
    return rc
}
