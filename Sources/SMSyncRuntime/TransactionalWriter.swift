import Crypto
import Foundation
import Glibc

/// The file operations a multi-file write uses; tests inject failures here.
public struct FileOperations: Sendable {
    public var writeTemporary: @Sendable (_ bytes: [UInt8], _ beside: String) throws(FileSystemError) -> String
    public var commit: @Sendable (_ temp: String, _ path: String) throws(FileSystemError) -> Void
    public var discard: @Sendable (_ temp: String) -> Void
    public var restore: @Sendable (_ bytes: [UInt8], _ path: String) throws(FileSystemError) -> Void

    public init(
        writeTemporary: @escaping @Sendable ([UInt8], String) throws(FileSystemError) -> String,
        commit: @escaping @Sendable (String, String) throws(FileSystemError) -> Void,
        discard: @escaping @Sendable (String) -> Void,
        restore: @escaping @Sendable ([UInt8], String) throws(FileSystemError) -> Void
    ) {
        self.writeTemporary = writeTemporary
        self.commit = commit
        self.discard = discard
        self.restore = restore
    }

    /// The real file system: temp files beside each target, fsync, rename.
    public static let live = FileOperations(
        writeTemporary: { bytes, path throws(FileSystemError) in try AtomicFile.writeTemporary(bytes, beside: path) },
        commit: { temp, path throws(FileSystemError) in try AtomicFile.commit(temp, to: path) },
        discard: { AtomicFile.discard($0) },
        restore: { bytes, path throws(FileSystemError) in try AtomicFile.write(bytes, to: path) }
    )
}

/// Writes several files so that either all take their new content or none does, also across a crash.
///
/// With a journal path, the batch is journaled: every new content goes to a temporary file beside its target
/// (fsynced); then the journal (each target, its temporary file, the digests of the old and new content, and the
/// old content) is written and fsynced; then the temporary files are renamed into place; then the journal is
/// removed. A process killed before the journal exists leaves every target as it was (its temporary files are
/// removed by ``removeStaleTemporaries(in:)``); killed after, ``recover(journal:using:)`` on the next start
/// finishes the renames (or, when a temporary file has gone missing, puts the old contents back).
public enum TransactionalWriter {
    public struct Change: Sendable {
        public var path: String
        public var original: [UInt8]
        public var updated: [UInt8]

        public init(path: String, original: [UInt8], updated: [UInt8]) {
            self.path = path
            self.original = original
            self.updated = updated
        }
    }

    /// Every new content goes to a temporary file first (fsynced); only when all are written are they renamed
    /// into place. A failure before the renames removes the temporary files; a failure during them puts back the
    /// files already renamed. Either way every file ends as it was and the error is rethrown.
    ///
    /// `journal` names the journal file (see the type's documentation); nil writes without one. `checkpoint` is
    /// called after each phase: `write-temporaries`, `write-journal`, `rename-1` … `rename-N`, `write-done`.
    public static func write(
        _ changes: [Change], journal: String? = nil, using operations: FileOperations = .live,
        checkpoint: (String) -> Void = { _ in }
    ) throws(FileSystemError) {
        var temps: [String] = []
        for change in changes {
            do {
                temps.append(try operations.writeTemporary(change.updated, change.path))
            } catch {
                for temp in temps { operations.discard(temp) }
                throw error
            }
        }
        checkpoint("write-temporaries")
        if let journal {
            let record = WriteJournal(
                files: zip(changes, temps).map { change, temp in
                    WriteJournal.File(
                        path: change.path, temp: temp, originalSHA256: WriteJournal.digest(change.original),
                        newSHA256: WriteJournal.digest(change.updated), original: Data(change.original))
                })
            do {
                try AtomicFile.write(try record.encoded(), to: journal)
            } catch {
                for temp in temps { operations.discard(temp) }
                throw error
            }
            checkpoint("write-journal")
        }
        for (index, change) in changes.enumerated() {
            do {
                try operations.commit(temps[index], change.path)
            } catch {
                for later in temps[index...] { operations.discard(later) }
                var restored = true
                for earlier in changes[..<index].reversed() {
                    do {
                        try operations.restore(earlier.original, earlier.path)
                    } catch {
                        restored = false
                    }
                }
                // Not restored: the journal stays, and the next start rolls the batch forward or back.
                if restored, let journal { WriteJournal.remove(journal) }
                throw error
            }
            checkpoint("rename-\(index + 1)")
        }
        if let journal { WriteJournal.remove(journal) }
        checkpoint("write-done")
    }

    /// What ``recover(journal:using:)`` did.
    public enum Recovery: Sendable, Equatable {
        /// Every temporary file was there: the renames were finished; these files took their new content.
        case rolledForward([String])
        /// A temporary file was missing or damaged: these files were put back to their old content.
        case rolledBack([String])
    }

    /// Finishes or undoes the batch a journal describes, then removes the journal, so that its files end all new
    /// or all old. Nil when there is no journal. Call it while holding the run lock, before reading the files.
    /// A journal that cannot be read (damaged) is an error; it is left in place.
    @discardableResult
    public static func recover(
        journal path: String, using operations: FileOperations = .live
    ) throws(FileSystemError) -> Recovery? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        let record = try WriteJournal.read(path)
        var current: [String?] = []
        var forward = true
        for file in record.files {
            let now = (try? AtomicFile.read(file.path, limit: Int.max)).map(WriteJournal.digest)
            current.append(now)
            if now == file.newSHA256 { continue }
            let temp = (try? AtomicFile.read(file.temp, limit: Int.max)).map(WriteJournal.digest)
            if temp != file.newSHA256 { forward = false }
        }
        var touched: [String] = []
        if forward {
            for (index, file) in record.files.enumerated() where current[index] != file.newSHA256 {
                try operations.commit(file.temp, file.path)
                touched.append(file.path)
            }
        } else {
            for (index, file) in record.files.enumerated() {
                operations.discard(file.temp)
                guard current[index] != file.originalSHA256 else { continue }
                try operations.restore(Array(file.original), file.path)
                touched.append(file.path)
            }
        }
        WriteJournal.remove(path)
        return forward ? .rolledForward(touched) : .rolledBack(touched)
    }

    /// Removes temporary files (`NAME.smsync-XXXXXX`) that a killed write left in `folders`, and returns their
    /// paths. Call it after ``recover(journal:using:)`` and while holding the run lock: then no journal owns them
    /// and no write of smsync is under way.
    @discardableResult
    public static func removeStaleTemporaries(in folders: [String]) -> [String] {
        var removed: [String] = []
        for folder in Set(folders) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for name in names where isTemporaryName(name) {
                let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
                var info = stat()
                guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                // A file some live process is still writing (`env set --write` beside a starting sync) stays.
                guard !AtomicFile.isHeldByAWriter(path) else { continue }
                if unlink(path) == 0 { removed.append(path) }
            }
        }
        return removed.sorted()
    }

    /// `NAME.smsync-XXXXXX`, as `mkstemp` completes the template of ``AtomicFile/writeTemporary(_:beside:)``.
    static func isTemporaryName(_ name: String) -> Bool {
        guard let range = name.range(of: ".smsync-", options: .backwards), range.lowerBound > name.startIndex
        else { return false }
        let suffix = name[range.upperBound...]
        return suffix.count == 6 && suffix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }
}

/// The journal of one multi-file write (JSON, written atomically and fsynced before the first rename).
struct WriteJournal: Codable, Sendable {
    struct File: Codable, Sendable {
        var path: String
        var temp: String
        var originalSHA256: String
        var newSHA256: String
        /// The old content, to put back when the batch must be rolled back.
        var original: Data

        enum CodingKeys: String, CodingKey {
            case path, temp
            case originalSHA256 = "original_sha256"
            case newSHA256 = "new_sha256"
            case original
        }
    }

    var version = 1
    var files: [File]

    init(files: [File]) {
        self.files = files
    }

    static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    func encoded() throws(FileSystemError) -> [UInt8] {
        do {
            return Array(try JSONEncoder().encode(self))
        } catch {
            throw FileSystemError(path: "", operation: "encode the write journal", reason: "\(error)")
        }
    }

    /// Reads and checks a journal: version 1, and each temporary file named after its target.
    static func read(_ path: String) throws(FileSystemError) -> WriteJournal {
        let bytes = try AtomicFile.read(path, limit: 1 << 30)
        let record: WriteJournal
        do {
            record = try JSONDecoder().decode(WriteJournal.self, from: Data(bytes))
        } catch {
            throw FileSystemError(
                path: path, operation: "read the write journal",
                reason: "it is damaged (\(error)); check the files it lists, then remove it")
        }
        guard record.version == 1 else {
            throw FileSystemError(
                path: path, operation: "read the write journal",
                reason: "version \(record.version) is not known to this smsync")
        }
        for file in record.files {
            let name = String(file.temp.dropFirst(file.path.count))
            guard !file.path.isEmpty, file.temp.hasPrefix(file.path),
                TransactionalWriter.isTemporaryName("x" + name), name.hasPrefix(".smsync-")
            else {
                throw FileSystemError(
                    path: path, operation: "read the write journal",
                    reason: "the temporary file \(file.temp) is not one smsync writes for \(file.path)")
            }
        }
        return record
    }

    /// Removes the journal and syncs its folder.
    static func remove(_ path: String) {
        unlink(path)
        AtomicFile.syncFolder(of: path)
    }
}
