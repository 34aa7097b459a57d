import Foundation
import GRDB
import Testing

/// `sync` keeps `state.retention_days` of runs and stores drift rows only for actions other than up to date.
@Suite("State retention, end to end")
struct StateRetentionEndToEndTests {
    @Test func aSyncPrunesRunsPastTheRetentionAndStoresOnlyRealDrift() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-retain-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let demo = root.appendingPathComponent("demo")
        try FileManager.default.copyItem(at: Binary.fixture("demo"), to: demo)
        // A state database left in the checkout by a Quickstart run is not part of the fixture.
        try? FileManager.default.removeItem(at: demo.appendingPathComponent(".smsync"))
        let config = demo.appendingPathComponent("smsync.yml")
        var text = try String(contentsOf: config, encoding: .utf8)
        text = text.replacingOccurrences(
            of: "state: .smsync/state.db", with: "state:\n  path: .smsync/state.db\n  retention_days: 30")
        try text.write(to: config, atomically: true, encoding: .utf8)
        let database = demo.appendingPathComponent(".smsync/state.db").path

        for _ in 0..<2 {
            let result = try await Binary.runAsync(["sync", "--dry-run", "--config", config.path], timeout: 60)
            #expect(result.status == 0, "\(result.stderr)")
        }
        let queue = try DatabaseQueue(path: database)
        try await queue.write { db in
            try db.execute(sql: "UPDATE runs SET started_at = '2020-01-01 00:00:00.000' WHERE id = 1")
        }
        let result = try await Binary.runAsync(["sync", "--dry-run", "--config", config.path], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let (runs, actions) = try await queue.read { db in
            (
                try Int64.fetchAll(db, sql: "SELECT id FROM runs ORDER BY id"),
                try String.fetchAll(db, sql: "SELECT DISTINCT action FROM drift ORDER BY action")
            )
        }
        #expect(runs == [2, 3])
        #expect(!actions.isEmpty)
        #expect(!actions.contains("same"), "\(actions)")
    }
}
