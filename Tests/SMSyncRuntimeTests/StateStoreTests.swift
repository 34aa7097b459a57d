import Foundation
import GRDB
import SMSync
import SMSyncRuntime
import Testing

@Suite("State store")
struct StateStoreTests {
    @Test func createsParentFoldersAndOpensTwiceWithoutMigratingAgain() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let path = folder.path("deep/er/state.db")
        let first = try StateStore(path: path)
        let id = try first.beginRun(startedAt: instant(), pid: 42, host: "builder", dryRun: false)
        let migrations = try first.appliedMigrations()
        #expect(migrations.count == 4)
        #expect(migrations.last == "v5-availability")
        let second = try StateStore(path: path)
        #expect(try second.appliedMigrations() == migrations)
        #expect(try second.runs(limit: 10).map(\.id) == [id])
        let queue = try DatabaseQueue(path: path)
        let count = try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") }
        #expect(count == migrations.count)
    }

    @Test func usesWAL() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        _ = try StateStore(path: folder.databasePath)
        let queue = try DatabaseQueue(path: folder.databasePath)
        let mode = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func refusesADatabaseFromANewerVersion() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        _ = try StateStore(path: folder.databasePath)
        let queue = try DatabaseQueue(path: folder.databasePath)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99: from the future')")
        }
        let error = #expect(throws: StateError.self) { try StateStore(path: folder.databasePath) }
        #expect(error?.description.contains("newer version of smsync") == true)
        #expect(error?.description.contains(folder.databasePath) == true)
        #expect(error?.kind == .newerSchema(unknown: ["v99: from the future"]))
        #expect(error.map(SyncExitCode.stateFailure) == 2)
        // Still refused, and still not migrated: the file keeps the unknown migration and no other change.
        let applied = try queue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied.last == "v99: from the future")
    }

    @Test func refusesAFileThatIsNotADatabase() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: folder.databasePath))
        let error = #expect(throws: StateError.self) { try StateStore(path: folder.databasePath) }
        #expect(error?.path == folder.databasePath)
    }

    @Test(
        arguments: [
            ("/etc/smsync/state.db", [:], "/etc/smsync/state.db"),
            (nil, ["XDG_STATE_HOME": "/var/lib/x/", "HOME": "/home/u"], "/var/lib/x/smsync/state.db"),
            (nil, ["XDG_STATE_HOME": "relative", "HOME": "/home/u"], "/home/u/.local/state/smsync/state.db"),
            (nil, ["HOME": "/home/u"], "/home/u/.local/state/smsync/state.db"),
            ("", ["HOME": "/home/u/"], "/home/u/.local/state/smsync/state.db"),
        ] as [(String?, [String: String], String)])
    func defaultPath(configured: String?, environment: [String: String], expected: String) {
        #expect(StateStore.defaultPath(configured: configured, environment: environment) == expected)
    }

    @Test func runsRoundTripNewestFirst() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let first = try store.beginRun(startedAt: instant(0), pid: 10, host: "a", dryRun: false)
        let counts = RunCounts(updates: 3, held: 1, blocked: 2, sourcesFailed: 1, triggersFired: 4, triggersFailed: 1)
        try store.finishRun(first, endedAt: instant(5), outcome: .triggerFailed, counts: counts, message: "webhook 500")
        let second = try store.beginRun(startedAt: instant(60), pid: 11, host: "b", dryRun: true)
        let runs = try store.runs(limit: 10)
        #expect(
            runs == [
                RunRecord(
                    id: second, startedAt: instant(60), endedAt: nil, pid: 11, host: "b", dryRun: true, outcome: nil,
                    counts: .zero, message: nil),
                RunRecord(
                    id: first, startedAt: instant(0), endedAt: instant(5), pid: 10, host: "a", dryRun: false,
                    outcome: .triggerFailed, counts: counts, message: "webhook 500"),
            ])
        #expect(try store.runs(limit: 1).map(\.id) == [second])
        #expect(try store.run(first)?.outcome?.exitCode == 5)
        let error = #expect(throws: StateError.self) {
            try store.finishRun(999, endedAt: instant(), outcome: .success, counts: .zero, message: nil)
        }
        #expect(error?.description.contains("no run 999") == true)
    }

    @Test func unfinishedRunsAreClosedAsInterrupted() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let killed = try store.beginRun(startedAt: instant(0), pid: 1, host: "h", dryRun: false)
        let finished = try store.beginRun(startedAt: instant(1), pid: 2, host: "h", dryRun: false)
        try store.finishRun(finished, endedAt: instant(2), outcome: .success, counts: .zero, message: nil)
        #expect(try store.closeUnfinishedRuns(endedAt: instant(9)) == [killed])
        let run = try #require(try store.run(killed))
        #expect(run.outcome == .interrupted && run.endedAt == instant(9))
        #expect(run.message == "the run did not finish (its process died)")
        #expect(try store.run(finished)?.outcome == .success)
        #expect(try store.closeUnfinishedRuns(endedAt: instant(10)).isEmpty)
    }

    @Test func pruningKeepsTheNewestRunsAndWhatOutlivesThem() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        var ids: [Int64] = []
        for index in 0..<5 {
            let run = try store.beginRun(startedAt: instant(index), pid: 1, host: "h", dryRun: false)
            try store.recordFetch(
                runID: run, url: "https://u", status: 200, etag: "e\(index)", lastModified: nil, digest: nil,
                at: instant(index))
            try store.recordDrift(
                runID: run,
                rows: [
                    DriftRow(
                        kernel: "k", package: "p", manager: "pip", current: "1", upstream: "2", kind: "major",
                        action: "held", source: "s")
                ])
            ids.append(run)
        }
        #expect(try store.pruneRuns(keeping: 2) == 3)
        #expect(try store.runs(limit: 10).map(\.id) == [ids[4], ids[3]])
        #expect(try store.fetches(runID: ids[0]).isEmpty && store.drift(runID: ids[0]).isEmpty)
        #expect(try store.drift(runID: ids[4]).count == 1)
        #expect(try store.lastFetch(url: "https://u")?.etag == "e4")
    }

    @Test func fetchValidatorsFollowUsableResponsesOnly() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let run = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
        let url = "https://docs.example/nbi-al2023.html"
        #expect(try store.lastFetch(url: url) == nil)
        try store.recordFetch(
            runID: run, url: url, status: 200, etag: "\"v1\"", lastModified: "Mon, 01 Jan 2026 00:00:00 GMT",
            digest: "sha256:aa", at: instant(1))
        try store.recordFetch(
            runID: run, url: url, status: 304, etag: nil, lastModified: nil, digest: nil, at: instant(2))
        #expect(
            try store.lastFetch(url: url)
                == FetchRecord(
                    url: url, etag: "\"v1\"", lastModified: "Mon, 01 Jan 2026 00:00:00 GMT", digest: "sha256:aa",
                    status: 304, fetchedAt: instant(2), runID: run))
        try store.recordFetch(
            runID: run, url: url, status: 500, etag: nil, lastModified: nil, digest: nil, at: instant(3))
        #expect(try store.lastFetch(url: url)?.etag == "\"v1\"", "a failure keeps the last good validators")
        #expect(try store.lastFetch(url: url)?.fetchedAt == instant(2))
        try store.recordFetch(
            runID: run, url: url, status: 200, etag: nil, lastModified: nil, digest: "sha256:bb", at: instant(4))
        let latest = try #require(try store.lastFetch(url: url))
        #expect(latest.etag == nil && latest.lastModified == nil && latest.digest == "sha256:bb")
        #expect(try store.fetches(runID: run).map(\.status) == [200, 304, 500, 200])
    }

    @Test func signedURLsAreStoredRedactedAndStillFound() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let run = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
        let url = "https://bucket.s3.amazonaws.com/python3.yml?X-Amz-Signature=abcdef0123&X-Amz-Expires=300"
        try store.recordFetch(
            runID: run, url: url, status: 200, etag: "e", lastModified: nil, digest: nil, at: instant())
        let record = try #require(try store.lastFetch(url: url))
        #expect(!record.url.contains("abcdef0123"))
        #expect(record.url.contains("X-Amz-Expires=300"))
        #expect(try store.fetches(runID: run).allSatisfy { !$0.url.contains("abcdef0123") })
    }

    @Test func releaseIsNewOncePerSourceAndDigest() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let a = Data("release A".utf8)
        let b = Data("release B".utf8)
        #expect(try store.lastRelease(source: "docs") == nil)
        #expect(
            try store.recordRelease(
                source: "docs", kind: "aws-docs", releaseID: "1", digest: "sha256:a", payload: a, at: instant(0)))
        #expect(
            try !store.recordRelease(
                source: "docs", kind: "aws-docs", releaseID: "1", digest: "sha256:a", payload: a, at: instant(1)))
        #expect(
            try store.recordRelease(
                source: "other", kind: "aws-docs", releaseID: "1", digest: "sha256:a", payload: a, at: instant(1)),
            "another source")
        #expect(
            try store.recordRelease(
                source: "docs", kind: "aws-docs", releaseID: "2", digest: "sha256:b", payload: b, at: instant(2)))
        #expect(try store.lastRelease(source: "docs")?.digest == "sha256:b")
        #expect(
            try !store.recordRelease(
                source: "docs", kind: "aws-docs", releaseID: nil, digest: "sha256:a", payload: a, at: instant(3)),
            "A came back")
        let last = try #require(try store.lastRelease(source: "docs"))
        #expect(
            last
                == StoredRelease(
                    source: "docs", kind: "aws-docs", releaseID: "1", digest: "sha256:a", payload: a,
                    firstSeen: instant(0), lastSeen: instant(3)))
    }

    @Test func aParsedReleaseIsStoredAndReadBackExactly() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let release = UpstreamRelease(
            kind: .envExport, release: "sha256:0123", published: UpstreamDate(year: 2026, month: 2, day: 28),
            kernels: [
                UpstreamKernel(
                    kernel: "conda_python3", python: "3.10",
                    packages: [
                        UpstreamPackage(
                            name: "numpy", version: "1.26.4", manager: .conda, build: "py310h_0",
                            channel: "conda-forge",
                            subdir: "linux-64"),
                        UpstreamPackage(name: "sagemaker", version: "2.212.0", manager: .pip),
                    ])
            ], notes: ["one note"])
        #expect(try store.recordRelease(source: "export", release: release, digest: "sha256:0123", at: instant()))
        let stored = try #require(try store.lastRelease(source: "export"))
        #expect(stored.kind == "env-export" && stored.releaseID == "sha256:0123")
        #expect(try store.decodeRelease(stored) == release)
        #expect(try store.encode(release) == stored.payload, "encoding is deterministic")
    }

    @Test func sourceHealthCountsFailuresSinceTheLastSuccess() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let run = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
        try store.recordSourceResult(runID: run, source: "docs", ok: true, message: nil, at: instant(1))
        try store.recordSourceResult(runID: run, source: "docs", ok: false, message: "HTTP 500", at: instant(2))
        try store.recordSourceResult(runID: run, source: "docs", ok: false, message: "timed out", at: instant(3))
        try store.recordSourceResult(runID: run, source: "changelog", ok: false, message: "HTTP 404", at: instant(4))
        try store.recordSourceResult(runID: run, source: "changelog", ok: true, message: nil, at: instant(5))
        #expect(
            try store.sourceHealth() == [
                SourceHealth(
                    source: "changelog", lastSuccess: instant(5), lastFailure: instant(4),
                    lastFailureMessage: "HTTP 404",
                    consecutiveFailures: 0, lastRunID: run),
                SourceHealth(
                    source: "docs", lastSuccess: instant(1), lastFailure: instant(3), lastFailureMessage: "timed out",
                    consecutiveFailures: 2, lastRunID: run),
            ])
    }

    @Test func driftRowsRoundTripPerRun() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let first = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
        let second = try store.beginRun(startedAt: instant(1), pid: 1, host: "h", dryRun: false)
        let rows = [
            DriftRow(
                kernel: "conda_python3", package: "numpy", manager: "conda", current: "1.26.3", upstream: "1.26.4",
                kind: "patch", action: "update", source: "aws-docs"),
            DriftRow(
                kernel: "conda_python3", package: "boto3", manager: "pip", current: nil, upstream: "1.34.0",
                kind: "other", action: "ignored", source: "env-export"),
        ]
        try store.recordDrift(runID: first, rows: rows)
        try store.recordDrift(runID: second, rows: [])
        #expect(try store.drift(runID: first) == rows)
        #expect(try store.drift(runID: second).isEmpty)
        #expect(throws: StateError.self, "an unknown run is refused") { try store.recordDrift(runID: 999, rows: rows) }
        #expect(try store.drift(runID: 999).isEmpty, "nothing of the refused transaction is left")
    }

    @Test func aSucceededTriggerIsNeverPendingAgain() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let run = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
        #expect(try store.trigger(target: "hook", kernel: "conda_python3", manifestDigest: "sha256:m1") == nil)
        let record = try store.recordTriggerAttempt(
            runID: run, target: "hook", kernel: "conda_python3", manifestDigest: "sha256:m1", succeeded: true,
            error: nil, at: instant(1))
        #expect(record.status == .succeeded && record.attempts == 1 && record.lastError == nil)
        #expect(try store.trigger(target: "hook", kernel: "conda_python3", manifestDigest: "sha256:m1") == record)
        #expect(try store.pendingTriggers().isEmpty)
        // Another digest, target or kernel is another trigger.
        #expect(try store.trigger(target: "hook", kernel: "conda_python3", manifestDigest: "sha256:m2") == nil)
        #expect(try store.trigger(target: "other", kernel: "conda_python3", manifestDigest: "sha256:m1") == nil)
        #expect(try store.trigger(target: "hook", kernel: "conda_pytorch", manifestDigest: "sha256:m1") == nil)
        let again = try store.recordTriggerAttempt(
            runID: run, target: "hook", kernel: "conda_python3", manifestDigest: "sha256:m1", succeeded: false,
            error: "late failure", at: instant(2))
        #expect(again.status == .succeeded, "a success is never undone")
    }

    @Test func aFailedTriggerIsRetriedThenAbandoned() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let run = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
        func attempt(_ n: Int, succeeded: Bool = false) throws -> TriggerRecord {
            try store.recordTriggerAttempt(
                runID: run, target: "dispatch", kernel: "conda_pytorch", manifestDigest: "sha256:m",
                succeeded: succeeded,
                error: succeeded ? nil : "HTTP 502 on attempt \(n)", at: instant(n), maxAttempts: 3)
        }
        let first = try attempt(1)
        #expect(first.status == .failed && first.attempts == 1 && first.lastError == "HTTP 502 on attempt 1")
        #expect(try store.pendingTriggers(maxAttempts: 3) == [first])
        let second = try attempt(2)
        #expect(second.status == .failed && second.attempts == 2 && second.firstAttemptAt == instant(1))
        #expect(try store.pendingTriggers(maxAttempts: 3).map(\.attempts) == [2])
        #expect(try store.pendingTriggers(maxAttempts: 2).isEmpty, "a lower limit stops retries at once")
        let third = try attempt(3)
        #expect(third.status == .abandoned && third.attempts == 3)
        #expect(try store.pendingTriggers(maxAttempts: 3).isEmpty)
        #expect(try store.triggers(status: .abandoned) == [third])
    }

    @Test func aFailedTriggerThatRecoversSucceedsOnce() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let run = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
        _ = try store.recordTriggerAttempt(
            runID: run, target: "hook", kernel: "k", manifestDigest: "d", succeeded: false, error: "refused",
            at: instant(1))
        let next = try store.beginRun(startedAt: instant(10), pid: 1, host: "h", dryRun: false)
        let recovered = try store.recordTriggerAttempt(
            runID: next, target: "hook", kernel: "k", manifestDigest: "d", succeeded: true, error: nil, at: instant(11))
        #expect(recovered.status == .succeeded && recovered.attempts == 2 && recovered.lastRunID == next)
        #expect(recovered.lastError == nil)
        #expect(try store.pendingTriggers().isEmpty)
    }

    @Test func pullRequestsAreUpdatedInPlace() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        #expect(try store.pullRequest(branch: "smsync/update", repo: "o/r") == nil)
        try store.recordPullRequest(
            branch: "smsync/update", repo: "o/r", number: 7, url: "https://github.example/o/r/pull/7",
            kernels: ["conda_python3", "conda_pytorch"], headCommit: "abc", at: instant(0))
        try store.recordPullRequest(
            branch: "smsync/update", repo: "o/r", number: 7, url: "https://github.example/o/r/pull/7",
            kernels: ["conda_python3"], headCommit: "def", at: instant(9))
        #expect(
            try store.pullRequest(branch: "smsync/update", repo: "o/r")
                == PullRequestRecord(
                    branch: "smsync/update", repo: "o/r", number: 7, url: "https://github.example/o/r/pull/7",
                    kernels: ["conda_python3"], headCommit: "def", openedAt: instant(0), updatedAt: instant(9)))
        try store.recordPullRequest(
            branch: "smsync/update", repo: "o/r", number: 8, url: "https://github.example/o/r/pull/8",
            kernels: [], headCommit: "123", at: instant(20))
        let replaced = try #require(try store.pullRequest(branch: "smsync/update", repo: "o/r"))
        #expect(replaced.number == 8 && replaced.openedAt == instant(20), "a new number is a new pull request")
        #expect(try store.pullRequest(branch: "smsync/update", repo: "o/other") == nil)
    }

    @Test func pendingTriggersAreRecordedAtOnceAndNeverUndoASuccess() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let store = try StateStore(path: folder.databasePath)
        let run = try store.beginRun(startedAt: instant(), pid: 1, host: "h", dryRun: false)
        try store.recordTriggerAttempt(
            runID: run, target: "build", kernel: "done", manifestDigest: "d1", succeeded: true, error: nil,
            at: instant(1))
        try store.recordPendingTriggers(
            runID: run,
            [
                .init(target: "build", kernel: "a", manifestDigest: "d1", payload: Data("one".utf8)),
                .init(target: "build", kernel: "b", manifestDigest: "d1", payload: Data("two".utf8)),
                .init(target: "build", kernel: "done", manifestDigest: "d1", payload: Data("again".utf8)),
            ])
        let pending = try store.pendingTriggers()
        #expect(pending.map(\.kernel) == ["a", "b"])
        #expect(pending.allSatisfy { $0.status == .pending && $0.attempts == 0 && $0.lastRunID == run })
        #expect(try store.trigger(target: "build", kernel: "done", manifestDigest: "d1")?.status == .succeeded)
        // A later run records the same trigger again: it keeps its status and takes the newer payload.
        try store.recordPendingTriggers(
            runID: run + 1, [.init(target: "build", kernel: "a", manifestDigest: "d1", payload: Data("new".utf8))])
        let again = try store.trigger(target: "build", kernel: "a", manifestDigest: "d1")
        #expect(again?.payload == Data("new".utf8) && again?.lastRunID == run && again?.status == .pending)
        try store.recordTriggerAttempt(
            runID: run, target: "build", kernel: "a", manifestDigest: "d1", succeeded: true, error: nil, at: instant(2))
        #expect(try store.pendingTriggers().map(\.kernel) == ["b"])
    }

}
