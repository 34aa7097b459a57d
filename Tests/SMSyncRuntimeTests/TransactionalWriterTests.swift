import Foundation
import Testing

@testable import SMSyncRuntime

@Suite("Transactional writes")
struct TransactionalWriterTests {
    func folderWithFiles(_ count: Int) throws -> (URL, [TransactionalWriter.Change]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-tx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var changes: [TransactionalWriter.Change] = []
        for index in 1...count {
            let path = folder.appendingPathComponent("env\(index).yml").path
            let original = Array("name: env\(index)\ndependencies:\n  - numpy=1.0\n".utf8)
            try Data(original).write(to: URL(fileURLWithPath: path))
            changes.append(.init(path: path, original: original, updated: Array("name: env\(index) # new\n".utf8)))
        }
        return (folder, changes)
    }

    func contents(_ changes: [TransactionalWriter.Change]) throws -> [[UInt8]] {
        try changes.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0.path))) }
    }

    @Test func writesEveryFile() throws {
        let (folder, changes) = try folderWithFiles(5)
        defer { try? FileManager.default.removeItem(at: folder) }
        try TransactionalWriter.write(changes)
        #expect(try contents(changes) == changes.map(\.updated))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 5)
    }

    @Test func aFailedWriteOfTheThirdFileLeavesAllFiveUntouched() throws {
        let (folder, changes) = try folderWithFiles(5)
        defer { try? FileManager.default.removeItem(at: folder) }
        let counter = Counter()
        var operations = FileOperations.live
        operations.writeTemporary = { bytes, path throws(FileSystemError) in
            if counter.next() == 3 { throw FileSystemError(path: path, operation: "write", reason: "disk full") }
            return try AtomicFile.writeTemporary(bytes, beside: path)
        }
        #expect(throws: FileSystemError.self) { try TransactionalWriter.write(changes, using: operations) }
        #expect(try contents(changes) == changes.map(\.original))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 5, "no temp files left")
    }

    @Test func aFailedRenameOfTheThirdFilePutsBackTheFirstTwo() throws {
        let (folder, changes) = try folderWithFiles(5)
        defer { try? FileManager.default.removeItem(at: folder) }
        let counter = Counter()
        var operations = FileOperations.live
        operations.commit = { temp, path throws(FileSystemError) in
            if counter.next() == 3 { throw FileSystemError(path: path, operation: "rename", reason: "injected") }
            try AtomicFile.commit(temp, to: path)
        }
        #expect(throws: FileSystemError.self) { try TransactionalWriter.write(changes, using: operations) }
        #expect(try contents(changes) == changes.map(\.original))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 5, "no temp files left")
    }

    // MARK: - Journal

    /// Operations that "crash" at the `crashAt`-th rename: that rename and everything after it (the restores
    /// included) does nothing, as if the process had died there.
    func crashing(atRename crashAt: Int) -> FileOperations {
        let counter = Counter()
        let crashed = Flag()
        var operations = FileOperations.live
        operations.commit = { temp, path throws(FileSystemError) in
            if counter.next() == crashAt { crashed.set() }
            if crashed.isSet { throw FileSystemError(path: path, operation: "rename", reason: "killed") }
            try AtomicFile.commit(temp, to: path)
        }
        operations.discard = { temp in if !crashed.isSet { AtomicFile.discard(temp) } }
        operations.restore = { _, path throws(FileSystemError) in
            throw FileSystemError(path: path, operation: "restore", reason: "killed")
        }
        return operations
    }

    @Test func aCrashBetweenRenamesIsRolledForwardOnTheNextStart() throws {
        let (folder, changes) = try folderWithFiles(3)
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = folder.appendingPathComponent("state.db.journal").path
        var steps: [String] = []
        #expect(throws: FileSystemError.self) {
            try TransactionalWriter.write(
                changes, journal: journal, using: crashing(atRename: 2), checkpoint: { steps.append($0) })
        }
        #expect(steps == ["write-temporaries", "write-journal", "rename-1"])
        // What a kill between the renames leaves: one file new, two old, two temporary files and the journal.
        #expect(try contents(changes) == [changes[0].updated, changes[1].original, changes[2].original])
        #expect(FileManager.default.fileExists(atPath: journal))
        let recovery = try TransactionalWriter.recover(journal: journal)
        #expect(recovery == .rolledForward([changes[1].path, changes[2].path]))
        #expect(try contents(changes) == changes.map(\.updated))
        #expect(!FileManager.default.fileExists(atPath: journal))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 3, "no temp files left")
        #expect(try TransactionalWriter.recover(journal: journal) == nil, "nothing left to recover")
    }

    @Test func aMissingTemporaryFileRollsTheBatchBack() throws {
        let (folder, changes) = try folderWithFiles(3)
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = folder.appendingPathComponent("state.db.journal").path
        #expect(throws: FileSystemError.self) {
            try TransactionalWriter.write(changes, journal: journal, using: crashing(atRename: 3))
        }
        // Someone removed the temporary files: the batch cannot be finished, so it is undone.
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.contains(".smsync-") {
            try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        let recovery = try TransactionalWriter.recover(journal: journal)
        #expect(recovery == .rolledBack([changes[0].path, changes[1].path]))
        #expect(try contents(changes) == changes.map(\.original))
        #expect(!FileManager.default.fileExists(atPath: journal))
    }

    @Test func aCrashBeforeTheJournalLeavesOnlyStaleTemporaryFiles() throws {
        let (folder, changes) = try folderWithFiles(3)
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = folder.appendingPathComponent("state.db.journal").path
        // Temporary files written, then the process died: no journal, and nobody holds them.
        for (index, change) in changes.enumerated() {
            try Data(change.updated).write(to: URL(fileURLWithPath: change.path + ".smsync-Dead0\(index)"))
        }
        try Data("keep".utf8).write(to: folder.appendingPathComponent("notes.smsync-draft.txt"))
        #expect(try TransactionalWriter.recover(journal: journal) == nil)
        let removed = TransactionalWriter.removeStaleTemporaries(in: [folder.path])
        #expect(removed.count == 3)
        #expect(try contents(changes) == changes.map(\.original))
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
                == ["env1.yml", "env2.yml", "env3.yml", "notes.smsync-draft.txt"])
    }

    @Test func aTemporaryFileALiveWriterHoldsIsNotSwept() throws {
        let (folder, changes) = try folderWithFiles(1)
        defer { try? FileManager.default.removeItem(at: folder) }
        // This process is still writing it (as `env set --write` would be while a sync starts).
        let temp = try AtomicFile.writeTemporary(changes[0].updated, beside: changes[0].path)
        #expect(TransactionalWriter.removeStaleTemporaries(in: [folder.path]).isEmpty)
        try AtomicFile.commit(temp, to: changes[0].path)
        #expect(try contents(changes) == changes.map(\.updated))

        // Another process holds one: it stays while that process lives, and goes once it has ended.
        let stale = changes[0].path + ".smsync-Other1"
        try Data("partial".utf8).write(to: URL(fileURLWithPath: stale))
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--exclusive", "--no-fork", stale, "/bin/sh", "-c", "echo locked; exec sleep 30"]
        let output = Pipe()
        holder.standardOutput = output
        try holder.run()
        // SIGKILL: a disposition the test process ignores (SIGTERM may be) is inherited across exec.
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        _ = output.fileHandleForReading.availableData  // "locked": the lock is taken
        #expect(TransactionalWriter.removeStaleTemporaries(in: [folder.path]).isEmpty)
        #expect(FileManager.default.fileExists(atPath: stale))
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        #expect(TransactionalWriter.removeStaleTemporaries(in: [folder.path]) == [stale])
    }

    @Test func aJournaledWriteRemovesItsJournal() throws {
        let (folder, changes) = try folderWithFiles(2)
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = folder.appendingPathComponent("state.db.journal").path
        var steps: [String] = []
        try TransactionalWriter.write(changes, journal: journal, checkpoint: { steps.append($0) })
        #expect(steps == ["write-temporaries", "write-journal", "rename-1", "rename-2", "write-done"])
        #expect(try contents(changes) == changes.map(\.updated))
        #expect(!FileManager.default.fileExists(atPath: journal))
    }

    @Test func aJournalNamingAForeignTemporaryFileIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-tx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = folder.appendingPathComponent("state.db.journal").path
        let text = """
            {"version":1,"files":[{"path":"\(folder.path)/a.yml","temp":"/etc/passwd","original_sha256":"x",\
            "new_sha256":"y","original":""}]}
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: journal))
        let error = #expect(throws: FileSystemError.self) { try TransactionalWriter.recover(journal: journal) }
        #expect(error?.reason.contains("not one smsync writes") == true)
        #expect(FileManager.default.fileExists(atPath: journal), "left for a person to look at")
    }

    @Test(arguments: [
        ("python3.yml.smsync-Ab12Cd", true), ("a.smsync-123456", true), (".smsync-123456", false),
        ("python3.yml.smsync-Ab12C", false), ("python3.yml.smsync-Ab12Cd.bak", false), ("python3.yml", false),
    ])
    func temporaryNames(_ name: String, _ expected: Bool) {
        #expect(TransactionalWriter.isTemporaryName(name) == expected)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
