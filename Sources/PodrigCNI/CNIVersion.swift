import PodrigCore

/// A CNI spec version ("0.3.1", "1.1.0"), compared numerically.
public struct CNIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int, minor: Int, patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major; self.minor = minor; self.patch = patch
    }

    /// Parses "X.Y.Z" (also "X.Y" and "X", as libcni does).
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count) else { return nil }
        var nums: [Int] = []
        for p in parts {
            guard !p.isEmpty, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(p) else { return nil }
            nums.append(n)
        }
        while nums.count < 3 { nums.append(0) }
        self.init(nums[0], nums[1], nums[2])
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    public static func < (a: CNIVersion, b: CNIVersion) -> Bool {
        (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch)
    }

    public static let v010 = CNIVersion(0, 1, 0)
    public static let v020 = CNIVersion(0, 2, 0)
    public static let v030 = CNIVersion(0, 3, 0)
    public static let v031 = CNIVersion(0, 3, 1)
    public static let v040 = CNIVersion(0, 4, 0)
    public static let v100 = CNIVersion(1, 0, 0)
    public static let v110 = CNIVersion(1, 1, 0)

    /// Every spec version podrig speaks, oldest first.
    public static let supported: [CNIVersion] = [v010, v020, v030, v031, v040, v100, v110]

    public var isSupported: Bool { CNIVersion.supported.contains(self) }

    /// The result layout this version uses.
    public var resultFamily: ResultFamily {
        if self < .v030 { return .legacy }
        if self < .v100 { return .v04 }
        return .v1
    }

    public enum ResultFamily: Sendable { case legacy, v04, v1 }
}
