import Foundation
import GRDB
import SMSyncRuntime
import Testing

/// Opens the state the way smsync leaves it, starts a large write transaction (a run, an edit of the committed
/// run, many drift rows, so dirty pages spill into the WAL), says it is ready, and waits to be killed.
private let halfDoneScript = """
    import os, sqlite3, sys, time
    ready, path, run = sys.argv[1], sys.argv[2], int(sys.argv[3])
    db = sqlite3.connect(path, isolation_level=None)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute("PRAGMA cache_size = 10")
    db.execute("BEGIN IMMEDIATE")
    cur = db.execute(
        "INSERT INTO runs (started_at, pid, host, dry_run, message) VALUES ('2026-01-01 01:00:00.000', 1, 'x', 0, 'half-done')")
    half = cur.lastrowid
    db.execute("UPDATE runs SET message = 'torn', updates = 999 WHERE id = ?", (run,))
    for i in range(20000):
        db.execute(
            "INSERT INTO drift (run_id, kernel, package, manager, current, upstream, kind, action, source) "
            "VALUES (?, 'k', ?, 'conda', '1', '2', 'patch', 'update', 's')", (run, "package-%d" % i))
    with open(ready + ".tmp", "w") as f:
        f.write("%d\\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    time.sleep(120)
    """

/// Commits complete runs (a run row, 50 drift rows, the run's end) one transaction each, as fast as it can, and
/// says it is ready after the first 20.
private let committingScript = """
    import os, sqlite3, sys
    ready, path = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = FULL")
    i = 0
    while True:
        db.execute("BEGIN IMMEDIATE")
        run = db.execute(
            "INSERT INTO runs (started_at, pid, host, dry_run) VALUES ('2026-01-01 00:00:00.000', ?, 'x', 0)",
            (os.getpid(),)).lastrowid
        for j in range(50):
            db.execute(
                "INSERT INTO drift (run_id, kernel, package, manager, current, upstream, kind, action, source) "
                "VALUES (?, 'k', ?, 'pip', '1', '2', 'minor', 'update', 's')", (run, "p%d" % j))
        db.execute(
            "UPDATE runs SET ended_at = '2026-01-01 00:00:01.000', outcome = 'changes', updates = 50 WHERE id = ?",
            (run,))
        db.execute("COMMIT")
        i += 1
        if i == 20:
            with open(ready + ".tmp", "w") as f:
                f.write("%d\\n" % os.getpid())
            os.rename(ready + ".tmp", ready)
    """

@Suite("State after kill -9", .enabled(if: python3 != nil, "needs python3 as the writer that is killed"))
struct StateCrashTests {
    @Test func aWriterKilledMidTransactionLeavesTheLastCommittedRunIntact() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let counts = RunCounts(updates: 2, held: 1, blocked: 0, sourcesFailed: 0, triggersFired: 1, triggersFailed: 0)
        let run: Int64
        do {
            let store = try StateStore(path: folder.databasePath)
            run = try store.beginRun(startedAt: instant(), pid: 7, host: "h", dryRun: false)
            try store.finishRun(run, endedAt: instant(3), outcome: .changes, counts: counts, message: "committed")
            _ = try store.recordTriggerAttempt(
                runID: run, target: "hook", kernel: "k", manifestDigest: "d", succeeded: true, error: nil,
                at: instant(2))
        }
        let child = try ChildProcess(
            python: halfDoneScript, arguments: [folder.databasePath, String(run)], readyFile: folder.path("ready"))
        let childPID = try #require(Int32(try child.waitUntilReady(seconds: 60)))
        let walSize = (try? FileManager.default.attributesOfItem(atPath: folder.databasePath + "-wal")[.size] as? Int)
        #expect((walSize ?? 0) > 100_000, "the half-done transaction had reached the WAL file")
        child.killHard(pid: childPID)

        let store = try StateStore(path: folder.databasePath)
        let runs = try store.runs(limit: 10)
        #expect(
            runs == [
                RunRecord(
                    id: run, startedAt: instant(), endedAt: instant(3), pid: 7, host: "h", dryRun: false,
                    outcome: .changes, counts: counts, message: "committed")
            ])
        #expect(try store.drift(runID: run).isEmpty)
        #expect(try store.trigger(target: "hook", kernel: "k", manifestDigest: "d")?.status == .succeeded)
        let next = try store.beginRun(startedAt: instant(60), pid: 8, host: "h", dryRun: false)
        #expect(next > run)
        let queue = try DatabaseQueue(path: folder.databasePath)
        #expect(try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } == ["ok"])
    }

    @Test func aWriterKilledWhileCommittingLeavesOnlyWholeRuns() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        _ = try StateStore(path: folder.databasePath)
        let child = try ChildProcess(
            python: committingScript, arguments: [folder.databasePath], readyFile: folder.path("ready"))
        let childPID = try #require(Int32(try child.waitUntilReady(seconds: 60)))
        usleep(UInt32.random(in: 0..<50_000))
        child.killHard(pid: childPID)

        let store = try StateStore(path: folder.databasePath)
        let runs = try store.runs(limit: 1_000_000)
        #expect(runs.count >= 20)
        for run in runs {
            #expect(run.outcome == .changes && run.counts.updates == 50, "run \(run.id) is whole")
            #expect(try store.drift(runID: run.id).count == 50, "run \(run.id) has all its drift rows")
        }
        let queue = try DatabaseQueue(path: folder.databasePath)
        #expect(try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } == ["ok"])
        let orphans = try queue.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM drift WHERE run_id NOT IN (SELECT id FROM runs)")
        }
        #expect(orphans == 0)
    }
}
