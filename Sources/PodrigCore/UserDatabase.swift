/// The host's /etc/passwd and /etc/group, read as files — never through NSS. getpwuid() in
/// a static glibc binary dlopens NSS modules ("systemd" in nsswitch.conf) and segfaults for
/// any uid that /etc/passwd lacks; runc and containerd read the files the same way.
/// A uid or gid with no entry is normal (images run as 1001, 65532…): lookups return nil.
public struct UserDatabase: Sendable {
    public struct User: Sendable, Equatable {
        public var name: String
        public var uid: Int
        public var gid: Int
        public var home: String
    }

    public struct Group: Sendable, Equatable {
        public var name: String
        public var gid: Int
        public var members: [String]
    }

    public var users: [User]
    public var groups: [Group]

    public init(passwd: String, group: String) {
        users = UserDatabase.lines(passwd).compactMap { f in
            guard f.count >= 4, let uid = UserDatabase.id(f[2]), let gid = UserDatabase.id(f[3]) else { return nil }
            return User(name: String(f[0]), uid: uid, gid: gid, home: f.count > 5 ? String(f[5]) : "")
        }
        groups = UserDatabase.lines(group).compactMap { f in
            guard f.count >= 3, let gid = UserDatabase.id(f[2]) else { return nil }
            let members = f.count > 3 ? f[3].split(separator: ",").map { String($0) } : []
            return Group(name: String(f[0]), gid: gid, members: members)
        }
    }

    /// The host's files; a missing or unreadable one is an empty database.
    public static func host(passwd: String = "/etc/passwd", group: String = "/etc/group") -> UserDatabase {
        UserDatabase(passwd: (try? Files.readString(passwd)) ?? "", group: (try? Files.readString(group)) ?? "")
    }

    /// The first entry wins, as with getpwuid over the files backend.
    public func user(uid: Int) -> User? { users.first { $0.uid == uid } }
    public func user(named name: String) -> User? { users.first { $0.name == name } }

    /// Groups that list `name` as a member (the user's own primary group need not).
    public func memberGroups(of name: String) -> [Int] {
        groups.filter { $0.members.contains(name) }.map(\.gid)
    }

    static func lines(_ text: String) -> [[Substring]] {
        text.split(separator: "\n").compactMap { line in
            if line.first == "#" || line.first == "+" || line.first == "-" { return nil }  // comments, NIS compat entries
            return line.split(separator: ":", omittingEmptySubsequences: false)
        }
    }

    static func id(_ s: Substring) -> Int? {
        guard let v = Int(s), Validate.isLinuxID(v) else { return nil }
        return v
    }
}

extension Validate {
    /// A uid or gid the kernel can set: 0…4294967294 (4294967295 is (uid_t)-1, "no change").
    public static func isLinuxID(_ v: Int) -> Bool { v >= 0 && v < 4_294_967_295 }

    public static func linuxID(_ v: Int, what: String) throws(PodrigError) -> Int {
        guard isLinuxID(v) else { throw PodrigError.invalid("\(what): expected an ID from 0 to 4294967294, got \(v)") }
        return v
    }
}
