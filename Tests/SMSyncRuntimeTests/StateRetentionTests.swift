import Foundation
import Testing

@testable import SMSync
@testable import SMSyncRuntime

@Suite("State retention")
struct StateRetentionTests {
    @Test func runsOlderThanTheRetentionArePrunedButNeverTheNewest() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let day = 86_400
        var ids: [Int64] = []
        for age in [200, 120, 91, 89, 1] {
            let run = try store.beginRun(startedAt: instant(-age * day), pid: 1, host: "h", dryRun: false)
            try store.recordDrift(
                runID: run,
                rows: [
                    DriftRow(
                        kernel: "conda_python3", package: "numpy", manager: "conda", current: "1.0", upstream: "2.0",
                        kind: "major", action: "held", source: "aws-docs")
                ])
            ids.append(run)
        }
        #expect(try store.pruneRuns(startedBefore: instant(-90 * day)) == 3)
        #expect(try store.runs(limit: 10).map(\.id) == [ids[4], ids[3]])
        #expect(try store.drift(runID: ids[0]).isEmpty)
        #expect(try store.drift(runID: ids[3]).count == 1)
        // Everything is old: the newest run stays.
        #expect(try store.pruneRuns(startedBefore: instant(day)) == 1)
        #expect(try store.runs(limit: 10).map(\.id) == [ids[4]])
    }

    @Test func upToDateDependenciesAreNotStoredAsDrift() {
        let origin = DriftOrigin(
            source: "aws-docs", kind: .awsDocs, release: nil, name: "numpy", version: "1.0", manager: .conda)
        func change(_ package: String, _ action: DriftAction) -> DriftChange {
            DriftChange(
                package: package, manager: .conda, line: 1, current: "1.0", currentSpec: "=1.0", upstream: "1.0",
                kind: .patch, action: action, origin: origin)
        }
        let kernel = KernelDrift(
            kernel: "conda_python3", file: "python3.yml",
            changes: [change("numpy", .update), change("scipy", .same), change("pandas", .held)], missing: [],
            sources: ["aws-docs"])
        #expect(DriftRow.rows(of: [kernel]).map(\.package) == ["numpy", "pandas"])
    }

    @Test func theConfigurationReadsTheRetention() throws {
        let plain = try Configuration(text: "envs: {dir: envs}\nstate: s/state.db\n", file: "conf/smsync.yml")
        #expect(plain.statePath == "conf/s/state.db")
        #expect(plain.stateRetentionDays == 90)
        let mapped = try Configuration(
            text: "envs: {dir: envs}\nstate:\n  path: s/state.db\n  retention_days: 30\n", file: "conf/smsync.yml")
        #expect(mapped.statePath == "conf/s/state.db")
        #expect(mapped.stateRetentionDays == 30)
        let error = #expect(throws: ConfigError.self) {
            try Configuration(text: "envs: {dir: envs}\nstate:\n  retention_days: 0\n", file: "conf/smsync.yml")
        }
        #expect(error?.line == 3)
        #expect(error?.keyPath == "state.retention_days")
    }
}
