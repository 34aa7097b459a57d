import Foundation
import GRDB
import Testing

/// What deploy/README.md's "Upgrade and rollback" promises: schema migrations only go forward, and an older binary
/// that meets a database a newer one has migrated refuses it, saying so, and changes nothing.
@Suite("Upgrade and rollback")
struct UpgradeRollbackTests {
    @Test("a state database migrated by a newer smsync is refused with a clear message, and nothing is written")
    func newerSchemaIsRefused() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-rollback-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("envs"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let envFile = root.appendingPathComponent("envs/python3.yml")
        try FileManager.default.copyItem(at: Binary.fixture("demo/image/base/utils/envs/python3.yml"), to: envFile)
        let exports = Binary.fixture("demo/upstream/exports").path
        let config = root.appendingPathComponent("smsync.yml")
        try """
        envs: {dir: envs}
        state: state.db
        sources:
          - kind: env-export
            url: file://\(exports)/
        """.write(to: config, atomically: true, encoding: .utf8)

        // Today's binary creates and migrates the database.
        let first = try await Binary.runAsync(["sync", "--config", config.path, "--dry-run"])
        #expect(first.status == 0, "first run failed: \(first.stderr)")

        // A later release adds a migration; this binary does not know it.
        let state = root.appendingPathComponent("state.db")
        let queue = try DatabaseQueue(path: state.path)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from a newer smsync')")
        }
        let recordedBefore = try await Self.recorded(in: queue)
        try queue.close()
        let envBefore = try Data(contentsOf: envFile)

        for arguments in [["status", "--config", config.path], ["sync", "--config", config.path, "--no-pr"]] {
            let run = try await Binary.runAsync(arguments)
            #expect(run.status == 2, "`smsync \(arguments[0])` exited \(run.status) on a newer schema")
            #expect(run.stderr.contains("written by a newer version of smsync"), "stderr: \(run.stderr)")
            #expect(run.stderr.contains("v99: from a newer smsync"), "names the unknown migration: \(run.stderr)")
            #expect(run.stderr.contains("upgrade smsync"), "stderr: \(run.stderr)")
        }
        let reopened = try DatabaseQueue(path: state.path)
        #expect(try await Self.recorded(in: reopened) == recordedBefore, "the refused database was changed")
        try reopened.close()
        #expect(try Data(contentsOf: envFile) == envBefore, "an env file was edited despite the refusal")
    }

    /// The migrations applied and the runs recorded: what a refused open must leave alone.
    static func recorded(in queue: DatabaseQueue) async throws -> [String] {
        try await queue.read { db in
            try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
                + ["runs: \(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs") ?? -1)"]
        }
    }
}
