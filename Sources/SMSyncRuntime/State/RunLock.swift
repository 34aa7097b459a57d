import Foundation
import Glibc
import Synchronization

/// The lock that keeps two `smsync sync` runs off the same state: `flock(2)` on `<state>.lock`, beside the
/// database.
///
/// The kernel drops a `flock` when its process dies, however it dies (`kill -9` included), so a lock left by a
/// dead run is taken over without any staleness guess. The holder writes `pid host time` into the file so that a
/// refused run can say who holds it and since when. The file itself is never removed (removing a lock file lets
/// two processes lock two different files).
public final class RunLock: Sendable {
    /// The lock file.
    public let path: String
    private let descriptor: Mutex<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    deinit {
        release()
    }

    /// The lock file for a state database.
    public static func lockPath(statePath: String) -> String {
        statePath + ".lock"
    }

    /// Takes the lock for the state at `statePath` without waiting; throws ``LockError/held(pid:host:since:path:)``
    /// when another process holds it. Creates the parent folder when missing.
    public static func acquire(statePath: String, now: Date, pid: Int32, host: String) throws(LockError) -> RunLock {
        let path = lockPath(statePath: statePath)
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try? FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
                let code = mkdir(folder, 0o700) == 0 ? 0 : errno
                if code != 0 {
                    throw LockError.failed(
                        path: path, operation: "create the state folder \(folder)", reason: errorText(code))
                }
            }
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw LockError.failed(path: path, operation: "open", reason: errorText(errno)) }
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        if result != 0 {
            let code = errno
            guard code == EWOULDBLOCK else {
                close(fd)
                throw LockError.failed(path: path, operation: "lock", reason: errorText(code))
            }
            let holder = readHolder(fd: fd)
            close(fd)
            throw LockError.held(pid: holder.pid, host: holder.host, since: holder.since, path: path)
        }
        let text = Array("\(pid) \(sanitize(host)) \(format(now))\n".utf8)
        let written = text.withUnsafeBytes { buffer in
            ftruncate(fd, 0) == 0 ? pwrite(fd, buffer.baseAddress, buffer.count, 0) : -1
        }
        guard written == text.count else {
            let code = errno
            close(fd)
            throw LockError.failed(path: path, operation: "write", reason: errorText(code))
        }
        return RunLock(path: path, descriptor: fd)
    }

    /// Gives the lock up (also done when the lock is deallocated or the process exits). Safe to call twice.
    public func release() {
        descriptor.withLock { fd in
            guard let open = fd else { return }
            _ = ftruncate(open, 0)
            _ = flock(open, LOCK_UN)
            close(open)
            fd = nil
        }
    }

    /// Who the lock file says holds it: `pid host time`, each part nil when missing or unreadable.
    static func readHolder(fd: Int32) -> (pid: Int32?, host: String?, since: Date?) {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return (nil, nil, nil) }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        let parts = text.split(whereSeparator: \.isWhitespace).map(String.init)
        let pid = parts.first.flatMap { Int32($0) }.flatMap { $0 > 0 ? $0 : nil }
        let host = parts.count > 1 ? sanitize(parts[1]) : nil
        let since = parts.count > 2 ? parse(parts[2]) : nil
        return (pid, host, since)
    }

    /// An ISO 8601 UTC time with seconds (`2026-03-01T12:00:00Z`).
    public static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    static func parse(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }

    /// A host name reduced to one printable token (the lock file is read back split on spaces).
    static func sanitize(_ host: String) -> String {
        let kept = host.unicodeScalars.filter { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }.prefix(255)
        return kept.isEmpty ? "unknown-host" : String(String.UnicodeScalarView(kept))
    }

    /// `strerror` text with the number, so that logs and alerts can match it (`Permission denied (errno 13)`).
    private static func errorText(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}
