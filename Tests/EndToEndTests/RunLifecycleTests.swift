import Foundation
import Testing

@testable import SMSyncTestSupport

/// The life of one `smsync sync` run when it does not end on its own: killed with SIGKILL after every step,
/// stopped by SIGTERM or SIGINT, or past `sync.deadline_seconds`. The built binary, the demo image, a loopback
/// webhook receiver and a command trigger that appends to a log.
@Suite("sync run lifecycle (built binary, kill -9, signals, deadline)", .serialized)
struct RunLifecycleTests {
    /// What the loopback server does: the webhook receiver (which can hang) and an upstream page (which can hang).
    actor Receiver {
        var hangHooks = false
        var hangPages = false
        var hooks: [String] = []

        func setHangHooks(_ on: Bool) { hangHooks = on }
        func setHangPages(_ on: Bool) { hangPages = on }

        func hook(_ request: RecordedRequest) async -> TestReply {
            if hangHooks {
                // Held until the test lets go (or 20 s), like a receiver that never answers.
                for _ in 0..<200 where hangHooks { try? await Task.sleep(for: .milliseconds(100)) }
                return TestReply(status: 503)
            }
            let kernels = ((try? request.json())?["kernels"] as? [String]) ?? []
            hooks.append("hook " + kernels.joined(separator: ","))
            return TestReply(status: 204)
        }

        func page() async -> TestReply {
            for _ in 0..<200 where hangPages { try? await Task.sleep(for: .milliseconds(100)) }
            return .text(200, "<html><body><p>no table</p></body></html>")
        }
    }

    /// The demo image and sources in a temporary folder, with two rebuild targets: a command for every kernel and
    /// a webhook for python3 and the examples pin (four triggers for the demo's changes: the pin does not move).
    struct World {
        let root: URL
        let server: ScriptedServer
        let receiver: Receiver

        var config: String { root.appendingPathComponent("smsync.yml").path }
        var statePath: String { root.appendingPathComponent("state/state.db").path }
        var envs: URL { root.appendingPathComponent("image/base/utils/envs") }
        var firedLog: URL { root.appendingPathComponent("fired.log") }

        static func make(extraSource: Bool = false, deadline: Double? = nil) async throws -> World {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "smsync-lifecycle-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            for name in ["image", "upstream"] {
                try FileManager.default.copyItem(
                    at: Binary.fixture("demo/\(name)"), to: root.appendingPathComponent(name))
            }
            let receiver = Receiver()
            let server = try await ScriptedServer.start { request in
                if request.path == "/hook" { return await receiver.hook(request) }
                if request.path == "/page.html" { return await receiver.page() }
                return .text(404, "not found")
            }
            let log = root.appendingPathComponent("fired.log").path
            let hanging =
                extraSource ? "  - kind: aws-docs\n    name: slow-docs\n    url: \(server.base)/page.html\n" : ""
            let sync = deadline.map { "sync: {deadline_seconds: \($0)}\n" } ?? ""
            let config = """
                envs:
                  dir: image/base/utils/envs
                state: state/state.db
                sources:
                \(hanging)  - kind: env-export
                    url: upstream/exports/
                  - kind: aws-docs
                    url: upstream/aws-docs/nbi-al2023.html
                  - kind: distribution
                    url: upstream/distribution/RELEASE.md
                    kernels: [conda_python3, conda_tensorflow2_p310]
                  - kind: sdk-changelog
                    url: upstream/sdk/CHANGELOG.md
                  - kind: examples
                    url: upstream/examples/
                    pin_file: image/base/utils/sample-notebooks/examples-commit.txt
                policy:
                  update: [patch, minor]
                http: {timeout_seconds: 30, connect_timeout_seconds: 30, retries: 0}
                rebuild:
                  - name: build
                    command: ["/bin/sh", "-c", "echo \\"build $SMSYNC_KERNELS\\" >> \(log)"]
                  - name: notify
                    kernels: [conda_python3, examples]
                    webhook: {url: "\(server.base)/hook"}
                \(sync)
                """
            try config.write(to: root.appendingPathComponent("smsync.yml"), atomically: true, encoding: .utf8)
            return World(root: root, server: server, receiver: receiver)
        }

        func sync(_ environment: [String: String] = [:]) async throws -> Binary.Result {
            try await Binary.runAsync(
                ["sync", "--config", config, "--no-pr"], environment: ["NO_COLOR": "1"].merging(environment) { $1 },
                timeout: 60)
        }

        func start(_ environment: [String: String] = [:]) throws -> RunningBinary {
            try RunningBinary(
                ["sync", "--config", config, "--no-pr"], environment: ["NO_COLOR": "1"].merging(environment) { $1 })
        }

        func json(_ command: String) async throws -> [String: Any] {
            let result = try await Binary.runAsync(
                [command, "--config", config, "--format", "json"], environment: ["NO_COLOR": "1"])
            guard result.status == 0,
                let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            else { throw Binary.RunError(message: "\(command) failed: \(result.status) \(result.stderr)") }
            return object
        }

        func pendingTriggers() async throws -> [String] {
            let status = try await json("status")
            return ((status["pending_triggers"] as? [[String: Any]]) ?? []).map {
                "\($0["target"] as? String ?? "?") \($0["kernel"] as? String ?? "?")"
            }.sorted()
        }

        func lastRun() async throws -> [String: Any] {
            let history = try await json("history")
            return ((history["runs"] as? [[String: Any]]) ?? []).first ?? [:]
        }

        /// Every env file and the pin, by name (temporary files left beside them are not env files).
        func files() throws -> [String: Data] {
            var result: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: envs.path) where !name.contains(".smsync-")
            {
                result[name] = try Data(contentsOf: envs.appendingPathComponent(name))
            }
            let pin = root.appendingPathComponent("image/base/utils/sample-notebooks/examples-commit.txt")
            result["examples-commit.txt"] = try Data(contentsOf: pin)
            return result
        }

        /// Each trigger fired so far (command log and webhook receiver), sorted.
        func fired() async throws -> [String] {
            let commands =
                (try? String(contentsOf: firedLog, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
            return (commands + (await receiver.hooks)).sorted()
        }

        func close() async {
            await receiver.setHangHooks(false)
            await receiver.setHangPages(false)
            await server.stop()
            try? FileManager.default.removeItem(at: root)
        }
    }

    /// The steps a run passes, in order (see `Run.checkpoint`), when it writes `files` files in place and fires
    /// `triggers` triggers.
    static func steps(files: Int, triggers: Int) -> [String] {
        ["begin-run", "poll", "drift", "pending-triggers", "write-temporaries", "write-journal"]
            + (1...files).map { "rename-\($0)" } + ["write-done"] + (1...triggers).map { "trigger-\($0)" } + ["finish"]
    }

    @Test func killedAfterEveryStepTheNextRunLosesNothingAndTearsNothing() async throws {
        // The reference: one uninterrupted run.
        let reference = try await World.make()
        let old = try reference.files()
        let first = try await reference.sync()
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let new = try reference.files()
        let allFired = try await reference.fired()
        // Three env files change; the command fires for each kernel, the webhook for python3.
        #expect(
            allFired == [
                "build conda_python3", "build conda_pytorch_p310", "build conda_tensorflow2_p310",
                "hook conda_python3",
            ])
        #expect(Set(new.keys) == Set(old.keys))
        let changed = new.keys.filter { new[$0] != old[$0] }.count
        #expect(changed == 3)
        await reference.close()

        let steps = Self.steps(files: changed, triggers: allFired.count)
        for (index, step) in steps.enumerated() {
            let world = try await World.make()
            let killed = try await world.sync([SMSyncTestHook.abortAfterStep: step])
            #expect(killed.status == 9, "killed by SIGKILL after \(step): \(killed.status) \(killed.stderr)")
            // Every file is whole, old or new, at any moment.
            for (name, bytes) in try world.files() {
                #expect(bytes == old[name] || bytes == new[name], "\(name) torn after \(step)")
            }
            let firedBefore = try await world.fired()
            let pendingBefore = try await world.pendingTriggers()
            if index >= steps.firstIndex(of: "pending-triggers") ?? 0 {
                // Recorded before any side effect: what has not fired yet is waiting, and `status` says so.
                #expect(pendingBefore.count == allFired.count - firedBefore.count, "after \(step): \(pendingBefore)")
            } else {
                #expect(pendingBefore.isEmpty && firedBefore.isEmpty, "after \(step)")
            }

            // The next run takes the lock over, finishes the write and fires what was left, once.
            let rerun = try await world.sync()
            #expect(rerun.status == 0, "rerun after \(step): \(rerun.stdout)\n\(rerun.stderr)")
            #expect(try world.files() == new, "all files new after the rerun (killed after \(step))")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: world.envs.path).filter {
                $0.contains(".smsync-")
            }
            #expect(leftovers.isEmpty, "temporary files left after \(step): \(leftovers)")
            #expect(!FileManager.default.fileExists(atPath: world.statePath + ".journal"))
            #expect(try await world.fired() == allFired, "each trigger fired exactly once (killed after \(step))")
            #expect(try await world.pendingTriggers().isEmpty)
            let runs = (try await world.json("history"))["runs"] as? [[String: Any]] ?? []
            #expect(runs.count == 2 && runs.last?["outcome"] as? String == "interrupted", "after \(step): \(runs)")

            // And a third run has nothing left to do.
            let third = try await world.sync()
            #expect(third.status == 0 && third.stdout.contains("nothing to do"), "\(third.stdout)")
            #expect(try await world.fired() == allFired)
            await world.close()
        }
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalStopsTheRunWithTriggersPendingAndTheLockFree(_ signal: Int32) async throws {
        let world = try await World.make()
        await world.receiver.setHangHooks(true)
        let old = try world.files()
        let running = try world.start()
        // Wait until the run is stuck on the webhook (files written, the command trigger fired).
        var waited = 0
        while await world.server.requests.isEmpty, waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        let called = await world.server.requests.count
        #expect(called > 0, "the webhook was called")
        let sent = Date()
        running.kill(signal)
        let result = try await running.wait(timeout: 20)
        let elapsed = Date().timeIntervalSince(sent)
        print("sync stopped by signal \(signal) in \(String(format: "%.3f", elapsed)) s")
        #expect(result.status == 128 + signal, "\(result.status) \(result.stderr)")
        #expect(elapsed < 5, "stopped in \(elapsed) s")
        #expect(result.stderr.contains(signal == SIGTERM ? "SIGTERM" : "SIGINT"), "\(result.stderr)")
        let written = try world.files()
        #expect(written.keys.filter { written[$0] != old[$0] }.count == 3, "the write was finished before the stop")
        let run = try await world.lastRun()
        #expect(run["outcome"] as? String == "interrupted", "\(run)")
        let pending = try await world.pendingTriggers()
        #expect(pending == ["notify conda_python3"], "\(pending)")
        #expect(try await world.fired().count == 3, "the command fired for each kernel before the webhook")

        // The lock is free and the next run fires what was left.
        await world.receiver.setHangHooks(false)
        let next = try await world.sync()
        #expect(next.status == 0, "\(next.stdout)\n\(next.stderr)")
        #expect(try await world.fired().count == 4)
        #expect(try await world.pendingTriggers().isEmpty)
        await world.close()
    }

    @Test func theDeadlineStopsAHangingSourceWithExit3() async throws {
        let world = try await World.make(extraSource: true, deadline: 1)
        await world.receiver.setHangPages(true)
        let old = try world.files()
        let started = Date()
        let result = try await world.sync()
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 3, "\(result.status) \(result.stderr)")
        #expect(elapsed < 8, "ended in \(elapsed) s")
        #expect(result.stderr.contains("deadline of 1 s"), "\(result.stderr)")
        #expect(try world.files() == old, "nothing written")
        let run = try await world.lastRun()
        #expect(run["outcome"] as? String == "timed-out", "\(run)")
        // The lock was released: the next run (the page answers now) proceeds.
        await world.receiver.setHangPages(false)
        let next = try await world.sync()
        #expect(next.status != 4, "\(next.stderr)")
        await world.close()
    }

    @Test func theDeadlineStopsAHangingTriggerWithExit5AndLeavesItPending() async throws {
        let world = try await World.make(deadline: 3)
        await world.receiver.setHangHooks(true)
        let started = Date()
        let result = try await world.sync()
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 5, "\(result.status) \(result.stderr)")
        #expect(elapsed < 10, "ended in \(elapsed) s")
        let run = try await world.lastRun()
        #expect(run["outcome"] as? String == "timed-out", "\(run)")
        let pending = try await world.pendingTriggers()
        #expect(!pending.isEmpty && pending.allSatisfy { $0.hasPrefix("notify") }, "\(pending)")
        await world.receiver.setHangHooks(false)
        let next = try await world.sync()
        #expect(next.status == 0, "\(next.stdout)\n\(next.stderr)")
        #expect(try await world.pendingTriggers().isEmpty)
        #expect(try await world.fired().count == 4)
        await world.close()
    }

    @Test func aStopWaitsForNoCommandLongerThanItsGracePeriod() async throws {
        // A trigger command that outlives the stop: the run is recorded and ended after the grace period anyway.
        let world = try await World.make()
        let config = try String(contentsOfFile: world.config, encoding: .utf8)
        let marker = world.root.appendingPathComponent("started").path
        let slow = "command: [\"/bin/sh\", \"-c\", \"touch \(marker); sleep 12\"]"
        let build = try #require(config.split(separator: "\n").first { $0.contains("command:") })
        try config.replacingOccurrences(of: String(build), with: "    " + slow).write(
            toFile: world.config, atomically: true, encoding: .utf8)
        let running = try world.start()
        var waited = 0
        while !FileManager.default.fileExists(atPath: marker), waited < 600 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        let sent = Date()
        running.kill(SIGTERM)
        let result = try await running.wait(timeout: 30)
        let elapsed = Date().timeIntervalSince(sent)
        print("sync stopped by SIGTERM during a command trigger in \(String(format: "%.3f", elapsed)) s")
        #expect(result.status == 143, "\(result.status) \(result.stderr)")
        #expect(elapsed < 9, "stopped in \(elapsed) s")
        let run = try await world.lastRun()
        #expect(run["outcome"] as? String == "interrupted", "\(run)")
        #expect(try await world.pendingTriggers().count == 4, "nothing fired, everything waits")
        await world.close()
    }

    @Test func applyFinishesTheWriteAKilledSyncLeft() async throws {
        let world = try await World.make()
        let old = try world.files()
        let killed = try await world.sync([SMSyncTestHook.abortAfterStep: "rename-1"])
        #expect(killed.status == 9)
        let partial = try world.files()
        #expect(partial.keys.filter { partial[$0] != old[$0] }.count == 1, "one file renamed before the kill")
        let apply = try await Binary.runAsync(["apply", "--config", world.config], environment: ["NO_COLOR": "1"])
        #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
        #expect(apply.stdout.contains("nothing to do"), "the write was finished before planning: \(apply.stdout)")
        let after = try world.files()
        #expect(after.keys.filter { after[$0] != old[$0] }.count == 3)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: world.envs.path).filter {
            $0.contains(".smsync-")
        }
        #expect(leftovers.isEmpty)
        await world.close()
    }

    @Test func aBadDeadlineIsRefusedWithTheFileAndLine() async throws {
        let world = try await World.make(deadline: 0)
        let result = try await world.sync()
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("smsync.yml") && result.stderr.contains("sync.deadline_seconds"), "\(result.stderr)")
        #expect(result.stderr.contains("line"), "\(result.stderr)")
        await world.close()
    }
}

/// The test hook of `smsync sync` that kills the run after a named step.
enum SMSyncTestHook {
    static let abortAfterStep = "SMSYNC_TEST_ABORT_AFTER_STEP"
}
