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
