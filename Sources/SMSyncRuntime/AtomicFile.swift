import Glibc
import Synchronization

/// A file-system failure with the path and the system's reason.
public struct FileSystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var reason: String

    public init(path: String, operation: String, errno code: Int32) {
        self.path = path
        self.operation = operation
        self.reason = String(cString: strerror(code))
    }

    public init(path: String, operation: String, reason: String) {
        self.path = path
        self.operation = operation
        self.reason = reason
    }

    public var description: String { "\(path): cannot \(operation): \(reason)" }
}

/// Reading whole files and replacing them atomically (temp file in the same folder, fsync, rename, fsync folder).
public enum AtomicFile {
    /// Reads a whole regular file, refusing anything larger than `limit` bytes.
    ///
    /// A FIFO, socket or device is refused without waiting: the type is checked before opening, and the
    /// open is non-blocking (a FIFO swapped in between cannot hold the caller in `open(2)` until a writer
    /// comes), then checked again on the open descriptor.
    public static func read(_ path: String, limit: Int = 64 << 20) throws(FileSystemError) -> [UInt8] {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            throw FileSystemError(path: path, operation: "read", reason: notRegular(info.st_mode))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        guard fstat(fd, &info) == 0 else { throw FileSystemError(path: path, operation: "stat", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FileSystemError(path: path, operation: "read", reason: notRegular(info.st_mode))
        }
        // Regular files ignore O_NONBLOCK; cleared anyway so reads behave as usual.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        guard Int(info.st_size) <= limit else {
            throw FileSystemError(
                path: path, operation: "read", reason: "file is \(info.st_size) bytes, over the limit of \(limit)")
        }
        return try readAll(fd: fd, path: path, limit: limit, sizeHint: Int(info.st_size))
    }

    /// What a path is when it is not a regular file, for messages.
    static func notRegular(_ mode: mode_t) -> String {
        let kind: String
        switch mode & S_IFMT {
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFSOCK: kind = "a socket"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFDIR: kind = "a folder"
        default: kind = "not a regular file"
        }
        return kind == "not a regular file" ? kind : "\(kind), not a regular file; refused without opening it"
    }

    /// Reads a descriptor to its end (standard input, a pipe), refusing more than `limit` bytes. `sizeHint` (a
    /// regular file's size) sizes the read buffer, so a small file costs a small buffer.
    public static func readAll(
        fd: Int32, path: String, limit: Int, sizeHint: Int? = nil
    ) throws(FileSystemError) -> [UInt8] {
        var result: [UInt8] = []
        let chunkSize = sizeHint.map { min(max($0 + 1, 4096), 1 << 20) } ?? 1 << 20
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(path: path, operation: "read", errno: errno)
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
            guard result.count <= limit else {
                throw FileSystemError(
                    path: path, operation: "read", reason: "input is over the limit of \(limit) bytes")
            }
        }
        return result
    }

    /// Replaces `path` with `bytes` so that a reader sees the old file or the new one, never a mix.
    /// The file keeps its permission bits.
    public static func write(_ bytes: [UInt8], to path: String) throws(FileSystemError) {
        let temp = try writeTemporary(bytes, beside: path)
        do {
            try commit(temp, to: path)
        } catch {
            unlink(temp)
            throw error
        }
    }

    /// Writes `bytes` to a new temporary file next to `path` (same folder, so a rename is atomic), fsynced.
    /// Returns the temporary path; `commit` renames it over `path`, `discard` removes it.
    public static func writeTemporary(_ bytes: [UInt8], beside path: String) throws(FileSystemError) -> String {
        var mode: mode_t = 0o644
        var info = stat()
        if stat(path, &info) == 0 { mode = info.st_mode & 0o7777 }
        var template = Array((path + ".smsync-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "create a temporary file", errno: errno) }
        let temp = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var failure: FileSystemError?
        if fchmod(fd, mode) != 0 { failure = FileSystemError(path: temp, operation: "chmod", errno: errno) }
        var written = 0
        while failure == nil, written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                Glibc.write(fd, buffer.baseAddress.map { $0 + written }, buffer.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                failure = FileSystemError(path: temp, operation: "write", errno: errno)
            } else {
                written += count
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = FileSystemError(path: temp, operation: "fsync", errno: errno) }
        if let failure {
            close(fd)
            unlink(temp)
            throw failure
        }
        hold(temp, fd)
        return temp
    }

    /// Renames a temporary file from `writeTemporary` over `path` and syncs the folder.
    public static func commit(_ temp: String, to path: String) throws(FileSystemError) {
        defer { release(temp) }
        guard rename(temp, path) == 0 else { throw FileSystemError(path: path, operation: "rename", errno: errno) }
        syncDirectory(of: path)
    }

    /// Removes a temporary file that will not be committed.
    public static func discard(_ temp: String) {
        unlink(temp)
        release(temp)
    }

    /// Descriptors of this process's temporary files that are neither committed nor discarded yet, each holding
    /// an exclusive `flock`: a sweep for stale temporary files (``isHeldByAWriter(_:)``) leaves a file alone while
    /// any live process is still writing it, and takes it once that process has gone (its descriptors close).
    private static let held = Mutex<[String: Int32]>([:])

    private static func hold(_ temp: String, _ fd: Int32) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = flock(fd, LOCK_EX | LOCK_NB)
        let previous = held.withLock { table in
            defer { table[temp] = fd }
            return table[temp]
        }
        if let previous { close(previous) }
    }

    private static func release(_ temp: String) {
        if let fd = held.withLock({ $0.removeValue(forKey: temp) }) { close(fd) }
    }

    /// Whether a live writer (this process or another) still holds the temporary file at `path`: its `flock`
    /// cannot be taken. False when the file cannot be opened (it is gone, or not a regular file).
    static func isHeldByAWriter(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK
    }

    /// Fsyncs the folder holding `path`, so that a rename or removal in it survives a crash.
    public static func syncFolder(of path: String) {
        syncDirectory(of: path)
    }

    private static func syncDirectory(of path: String) {
        let directory: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            directory = "."
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
