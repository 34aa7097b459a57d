import Foundation
import Glibc
import SMSyncRuntime
import Testing

/// A second process that holds the lock the way smsync does: flock, then `pid host time` in the file.
private let holdLockScript = """
    import fcntl, os, sys, time
    ready, lock = sys.argv[1], sys.argv[2]
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.pwrite(fd, ("%d otherhost 2026-01-02T03:04:05Z\\n" % os.getpid()).encode(), 0)
    with open(ready + ".tmp", "w") as f:
        f.write("%d\\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    time.sleep(120)
    """

/// Tries the lock without waiting; exits 0 when it got it, 1 when it is held.
private let tryLockScript = """
    import fcntl, os, sys
    fd = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(1)
    sys.exit(0)
    """

@Suite("Run lock")
struct StateLockTests {
    @Test func aSecondAcquireInTheSameProcessIsRefusedUntilRelease() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let lock = try RunLock.acquire(statePath: folder.databasePath, now: instant(), pid: 4242, host: "builder")
        #expect(lock.path == folder.databasePath + ".lock")
        let error = #expect(throws: LockError.self) {
            try RunLock.acquire(statePath: folder.databasePath, now: instant(9), pid: 1, host: "x")
        }
        #expect(error == .held(pid: 4242, host: "builder", since: instant(), path: lock.path))
        #expect(
            error?.description.hasPrefix(
                "another smsync run (pid 4242 on builder, since 2026-01-01T00:00:00Z) holds the lock on \(lock.path)")
                == true)
        lock.release()
        lock.release()
        let again = try RunLock.acquire(statePath: folder.databasePath, now: instant(10), pid: 1, host: "x")
        again.release()
    }

    @Test func droppingTheLockReleasesIt() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        do {
            _ = try RunLock.acquire(statePath: folder.databasePath, now: instant(), pid: 1, host: "h")
        }
        let lock = try RunLock.acquire(statePath: folder.databasePath, now: instant(), pid: 2, host: "h")
        lock.release()
    }

    @Test func aLockFileWithoutAHolderLineStillRefuses() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let lock = try RunLock.acquire(statePath: folder.databasePath, now: instant(), pid: 1, host: "h")
        defer { lock.release() }
        try Data("garbage\u{1B}[31m".utf8).write(to: URL(fileURLWithPath: lock.path))
        let error = #expect(throws: LockError.self) {
            try RunLock.acquire(statePath: folder.databasePath, now: instant(), pid: 2, host: "h")
        }
        #expect(error == .held(pid: nil, host: nil, since: nil, path: lock.path))
        #expect(error?.description.hasPrefix("another smsync run holds the lock on") == true)
    }

    @Test func anUnwritableFolderIsAFailureNotAHold() throws {
        let error = #expect(throws: LockError.self) {
            try RunLock.acquire(statePath: "/proc/smsync-no/state.db", now: instant(), pid: 1, host: "h")
        }
        guard case .failed(let path, _, _) = error else {
            Issue.record("expected .failed, got \(String(describing: error))")
            return
        }
        #expect(path == "/proc/smsync-no/state.db.lock")
        #expect(error?.description.contains("/proc/smsync-no") == true)
        #expect(error?.description.contains("(errno ") == true, "\(String(describing: error))")
        #expect(error.map(SyncExitCode.lockFailure) == 6, "a storage failure, not lock contention (4)")
    }

    @Test func aFileWhereTheStateFolderShouldBeIsAStorageFailure() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        try Data("a file".utf8).write(to: URL(fileURLWithPath: folder.path("blocker")))
        let error = #expect(throws: LockError.self) {
            try RunLock.acquire(
                statePath: folder.path("blocker") + "/state/state.db", now: instant(), pid: 1, host: "h")
        }
        #expect(error?.description.contains(folder.path("blocker")) == true)
        #expect(error?.description.contains("errno \(ENOTDIR)") == true, "\(String(describing: error))")
        #expect(error.map(SyncExitCode.lockFailure) == 6)
    }

    @Test(.enabled(if: python3 != nil, "needs python3 to play the other process"))
    func anotherLiveProcessHoldsItAndADeadOneIsTakenOver() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let lockPath = RunLock.lockPath(statePath: folder.databasePath)
        let child = try ChildProcess(
            python: holdLockScript, arguments: [lockPath], readyFile: folder.path("ready"))
        let childPID = try #require(Int32(try child.waitUntilReady()))
        let error = #expect(throws: LockError.self) {
            try RunLock.acquire(statePath: folder.databasePath, now: instant(), pid: getpid(), host: "me")
        }
        let since = try Date("2026-01-02T03:04:05Z", strategy: .iso8601)
        #expect(error == .held(pid: childPID, host: "otherhost", since: since, path: lockPath))
        #expect(
            error?.description.contains("(pid \(childPID) on otherhost, since 2026-01-02T03:04:05Z)") == true,
            "\(String(describing: error))")

        child.killHard(pid: childPID)
        let lock = try RunLock.acquire(statePath: folder.databasePath, now: instant(), pid: getpid(), host: "me")
        let content = try String(contentsOfFile: lockPath, encoding: .utf8)
        #expect(content == "\(getpid()) me 2026-01-01T00:00:00Z\n")
        lock.release()
    }

    @Test(.enabled(if: python3 != nil, "needs python3 to play the other process"))
    func anotherProcessSeesTheLockUntilItIsReleased() throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let lock = try RunLock.acquire(statePath: folder.databasePath, now: instant(), pid: getpid(), host: "me")
        let held = try ChildProcess(python: tryLockScript, arguments: [lock.path], readyFile: folder.path("unused"))
        #expect(try held.waitForExit() == 1)
        lock.release()
        let free = try ChildProcess(python: tryLockScript, arguments: [lock.path], readyFile: folder.path("unused"))
        #expect(try free.waitForExit() == 0)
    }
}
