import Foundation
import Glibc
import Testing

@testable import SMSyncRuntime

/// Children run in process groups of their own; whatever they leave behind is ended and cannot hold a run.
@Suite("Child process groups", .serialized)
struct ProcessGroupTests {
    /// A script that prints its process group id, then leaves `sleep 300` in the background holding both pipes.
    static let grandchild = #"ps -o pgid= -p $$ | tr -d ' '; sleep 300 & echo started"#

    /// True when no process is left in the group `pgid` (kill(-pgid, 0) fails with ESRCH), waiting up to
    /// `seconds` for orphans to be reaped by init.
    static func groupIsGone(_ pgid: pid_t, within seconds: Double = 5) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if kill(-pgid, 0) == -1 && errno == ESRCH { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return kill(-pgid, 0) == -1 && errno == ESRCH
    }

    static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    /// Open descriptors of one kind (`anon_inode:[pidfd]`, `pipe:`), by what /proc says each one is.
    static func openDescriptors(kind prefix: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.filter {
            ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) ?? "")
                .hasPrefix(prefix)
        }.count
    }

    static func firstLine(_ text: String) -> pid_t? {
        text.split(separator: "\n").first.flatMap { pid_t($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Writes the shell's process group id into `file`, then sleeps.
    static func recordingGroup(_ file: String, then command: String) -> [String] {
        ["/bin/sh", "-c", #"ps -o pgid= -p $$ | tr -d ' ' > "$1.tmp" && mv "$1.tmp" "$1"; "# + command, "sh", file]
    }

    static func waitForFile(_ path: String) async throws -> pid_t {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), let pgid = firstLine(text) {
                return pgid
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ChildFailure("the child never wrote its process group to \(path)")
    }

    @Test func aGrandchildHoldingThePipesDoesNotHoldTheRun() async throws {
        let started = Date()
        let output = try await ProcessRunner.run(["/bin/sh", "-c", Self.grandchild], timeout: 60)
        let elapsed = Date().timeIntervalSince(started)
        #expect(output.status == 0)
        #expect(output.stdout.contains("started"))
        // Without the group handling the call waits for `sleep 300`; allow for a loaded machine.
        #expect(elapsed < 30, "returned after \(elapsed) s")
        let pgid = try #require(Self.firstLine(output.stdout))
        #expect(pgid != getpgrp(), "the child leads a group of its own")
        #expect(await Self.groupIsGone(pgid), "no process of the child's group is left alive")
    }

    @Test func theDeadlineKillsTheWholeGroup() async throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let file = folder.path("pgid")
        let command = Self.recordingGroup(file, then: "sleep 300 & sleep 300; wait")
        let started = Date()
        let error = await #expect(throws: ProcessError.self) {
            try await ProcessRunner.run(command, timeout: 1)
        }
        #expect(error?.message.contains("timed out") == true)
        #expect(Date().timeIntervalSince(started) < 10)
        let pgid = try await Self.waitForFile(file)
        #expect(await Self.groupIsGone(pgid))
    }

    @Test func cancellingTheCallerKillsTheWholeGroup() async throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let file = folder.path("pgid")
        // The shell ignores SIGTERM, so only the SIGKILL after the grace period ends it.
        let command = Self.recordingGroup(file, then: "trap '' TERM; sleep 300 & sleep 300; wait")
        let task = Task { try await ProcessRunner.run(command, timeout: 600) }
        let pgid = try await Self.waitForFile(file)
        #expect(kill(-pgid, 0) == 0, "the group is running")
        let cancelled = Date()
        task.cancel()
        let result = await task.result
        #expect(Date().timeIntervalSince(cancelled) < 10)
        guard case .failure(let error) = result, let failure = error as? ProcessError else {
            Issue.record("a cancelled run should throw a ProcessError, got \(result)")
            return
        }
        #expect(failure.message == "cancelled")
        #expect(await Self.groupIsGone(pgid))
    }

    @Test func outputIsCappedAndCanStopTheGroup() async throws {
        let capped = try await ProcessRunner.run(["/bin/sh", "-c", "head -c 300000 /dev/zero"], outputLimit: 1000)
        #expect(capped.stdout.utf8.count == 1000)
        #expect(capped.stdoutBytes == 300_000)
        let started = Date()
        let stopped = try await ProcessRunner.run(
            ["/bin/sh", "-c", "cat /dev/zero"], outputLimit: 10, timeout: 60, stopAfterOutput: 1 << 20)
        #expect(stopped.stopped)
        #expect(stopped.stdout.utf8.count == 10)
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func theWorkingFolderAndEnvironmentAreTheOnesGiven() async throws {
        let folder = try StateFolder()
        defer { folder.cleanup() }
        let output = try await ProcessRunner.run(
            ["/bin/sh", "-c", "pwd; env | sort"], in: folder.url.path, environment: ["PATH": "/usr/bin:/bin", "A": "1"])
        let lines = output.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
                == folder.url.resolvingSymlinksInPath().path)
        #expect(lines.contains("A=1"))
        #expect(!lines.contains { $0.hasPrefix("HOME=") })
    }

    @Test func theDefaultEnvironmentIsMinimal() async throws {
        setenv("SMSYNC_TEST_INHERITED_SECRET", "should-not-pass", 1)
        defer { unsetenv("SMSYNC_TEST_INHERITED_SECRET") }
        let output = try await ProcessRunner.run(["/usr/bin/env"])
        let names = Set(
            output.stdout.split(separator: "\n").compactMap { $0.split(separator: "=").first.map(String.init) })
        #expect(!names.contains("SMSYNC_TEST_INHERITED_SECRET"))
        #expect(names.isSubset(of: ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PWD", "SHLVL", "_"]), "\(names)")
    }

    /// Many short children at once, each closing its pipes while others open theirs: the watching of pipes and
    /// exits shares no event loop with the rest of the process, so this churn cannot corrupt one.
    @Test func manyConcurrentChildrenAllFinishWithTheirOwnOutput() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<16 {
                group.addTask {
                    for index in 0..<60 {
                        let tag = "\(worker)-\(index)"
                        let output = try await ProcessRunner.run(
                            ["/bin/sh", "-c", "echo \(tag); echo e\(tag) >&2; exit \(index % 7)"], timeout: 60)
                        #expect(output.stdout == "\(tag)\n")
                        #expect(output.stderr == "e\(tag)\n")
                        #expect(output.status == Int32(index % 7))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func noDescriptorLeaksOver600Runs() async throws {
        _ = try await ProcessRunner.run(["/bin/true"])
        let kinds = ["pipe:", "anon_inode:[pidfd]", "/dev/null"]
        let before = kinds.map { Self.openDescriptors(kind: $0) }
        let total = Self.openDescriptors()
        for index in 0..<600 {
            // Every thirtieth run leaves a grandchild holding the pipes.
            let script = index % 30 == 0 ? "sleep 30 & exit 3" : "echo out; echo err >&2; exit 3"
            let output = try await ProcessRunner.run(["/bin/sh", "-c", script], timeout: 30)
            #expect(output.status == 3)
        }
        let after = kinds.map { Self.openDescriptors(kind: $0) }
        // Each run opens three pipes (six descriptors), /dev/null and a pidfd: a leak of any one of them per run
        // adds 600 of its kind. Alone, no kind moves at all; the other suites running in parallel hold up to about
        // 170 pipe ends of their own at a time (sockets and database files, which move more, are not counted).
        for (kind, (was, now)) in zip(kinds, zip(before, after)) {
            #expect(now < was + 350, "\(kind) descriptors went from \(was) to \(now)")
        }
        print("descriptors before 600 runs: \(total), after: \(Self.openDescriptors()); \(before) → \(after)")
    }
}
