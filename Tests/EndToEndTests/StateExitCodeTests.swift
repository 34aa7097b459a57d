import Foundation
import GRDB
import Testing

/// Local storage failures exit 6, a database from a newer smsync is refused (exit 2) and left as it is.
@Suite("smsync sync: local storage and schema exit codes (built binary)", .serialized)
struct StateExitCodeTests {
    /// A copy of the demo (file sources only, no network) with `state:` set to `state`.
    static func demo(state: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-state-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Binary.fixture("demo"), to: root)
        let config = root.appendingPathComponent("smsync.yml")
        let text = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "state: .smsync/state.db", with: "state: \(state)")
        try Data(text.utf8).write(to: config)
        return root
    }

    @Test func anUnwritableStateFolderExitsSixWithThePathAndErrno() async throws {
        let root = try Self.demo(state: "blocker/state/state.db")
        defer { try? FileManager.default.removeItem(at: root) }
        // A file where the state folder should be: no user, root included, can create the folder.
        try Data("not a folder".utf8).write(to: root.appendingPathComponent("blocker"))
        let result = try await Binary.runAsync(
            ["sync", "--config", root.appendingPathComponent("smsync.yml").path, "--dry-run"])
        #expect(result.status == 6, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains(root.appendingPathComponent("blocker").path), "\(result.stderr)")
        #expect(result.stderr.contains("errno"), "\(result.stderr)")
        #expect(!result.stderr.contains("another smsync run"), "not reported as lock contention")
    }

    @Test func aDatabaseFromANewerVersionIsRefusedAndLeftAsItIs() async throws {
        let root = try Self.demo(state: "state/state.db")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("smsync.yml").path
        let first = try await Binary.runAsync(["sync", "--config", config, "--dry-run"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let database = root.appendingPathComponent("state/state.db").path
        let future = "v99: a table from a later release"
        try Self.addMigration(future, to: database)
        let runsBefore = try Self.count(database, "runs")

        let refused = try await Binary.runAsync(["sync", "--config", config, "--dry-run"])
        #expect(refused.status == 2, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stderr.contains("newer version of smsync"), "\(refused.stderr)")
        #expect(refused.stderr.contains(future), "names the migration it does not know")
        #expect(refused.stderr.contains(database))
        let status = try await Binary.runAsync(["status", "--config", config])
        #expect(status.status == 2, "\(status.stderr)")
        #expect(try Self.count(database, "runs") == runsBefore, "nothing was written")
        let migrations = try Self.migrations(database)
        #expect(migrations.contains(future), "the newer schema is left as it is")
    }

    @Test func statusReadsTheStateWithoutTheEnvFiles() async throws {
        let root = try Self.demo(state: "state/state.db")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("smsync.yml").path
        let first = try await Binary.runAsync(["sync", "--config", config, "--dry-run"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        // A pull-request deployment has no checkout: status and history need the configuration and the state only.
        try FileManager.default.removeItem(at: root.appendingPathComponent("image"))
        for command in ["status", "history"] {
            let result = try await Binary.runAsync([command, "--config", config])
            #expect(result.status == 0, "\(command): \(result.stderr)")
            #expect(!result.stdout.isEmpty, "\(command) printed nothing")
        }
    }

    static func addMigration(_ identifier: String, to database: String) throws {
        try DatabaseQueue(path: database).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [identifier])
        }
    }

    static func migrations(_ database: String) throws -> [String] {
        try DatabaseQueue(path: database).read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
        }
    }

    static func count(_ database: String, _ table: String) throws -> Int {
        try DatabaseQueue(path: database).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}
