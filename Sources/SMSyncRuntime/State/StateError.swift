import Foundation

/// A failure of the state database, with its path, what was being done, and what to try.
public struct StateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database file.
    public var path: String
    /// What was being done (`open`, `record a fetch`, …).
    public var operation: String
    /// The reason, as SQLite or the file system gives it.
    public var reason: String
    /// What the user can do about it, when there is something to say.
    public var hint: String?
    public var kind: Kind

    /// What kind of failure: one of local storage, or a database this build must not touch.
    public enum Kind: Sendable, Equatable {
        /// The file or its folder cannot be created, read or written (permissions, a full disk, a damaged file).
        case storage
        /// The schema holds migrations this build does not know: the file was written by a newer smsync.
        /// Migrations are forward-only, so the file is left as it is.
        case newerSchema(unknown: [String])
    }

    public init(path: String, operation: String, reason: String, hint: String? = nil, kind: Kind = .storage) {
        self.path = path
        self.operation = operation
        self.reason = reason
        self.hint = hint
        self.kind = kind
    }

    public var description: String {
        let base = "state database \(path): cannot \(operation): \(reason)"
        return hint.map { "\(base) (\($0))" } ?? base
    }
}

/// A failure to take the run lock that keeps two `smsync sync` runs off the same state.
public enum LockError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another live process holds the lock. Who and since when come from the lock file, when it says so.
    case held(pid: Int32?, host: String?, since: Date?, path: String)
    /// The lock file could not be opened, locked or written.
    case failed(path: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case .held(let pid, let host, let since, let path):
            var who: [String] = []
            if let pid { who.append(host.map { "pid \(pid) on \($0)" } ?? "pid \(pid)") }
            if let since { who.append("since \(RunLock.format(since))") }
            let detail = who.isEmpty ? "" : " (\(who.joined(separator: ", ")))"
            return "another smsync run\(detail) holds the lock on \(path); wait for it to finish, "
                + "or point this run at another state file"
        case .failed(let path, let operation, let reason):
            return "run lock \(path): cannot \(operation): \(reason)"
        }
    }
}
