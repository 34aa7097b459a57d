import Foundation
import Testing

@testable import SMSyncTestSupport

/// Pull-request mode killed with SIGKILL after every step: the next run publishes once, and fires every trigger
/// exactly once in total.
@Suite("sync in pull-request mode, killed after every step", .serialized)
struct PullRequestKillTests {
    static let steps = [
        "begin-run", "poll", "drift", "pending-triggers", "publish", "trigger-1", "trigger-2", "trigger-3", "finish",
    ]

    static func counts(_ world: SyncEndToEndTests.World) async -> (hooks: Int, dispatches: Int, pulls: Int) {
        let requests = await world.server.requests
        let dispatches = requests.filter { $0.method == "POST" && $0.path == "/api/repos/acme/image/dispatches" }
        let pulls = requests.filter { $0.method == "POST" && $0.path == "/api/repos/acme/image/pulls" }
        return (await world.upstream.hooks.count, dispatches.count, pulls.count)
    }

    @Test func killedAfterEveryStepEachTriggerFiresOnceAndOnePullRequestIsOpened() async throws {
        for step in Self.steps {
            let world = try await SyncEndToEndTests.World.make(pullRequests: true)
            var environment = world.environment
            environment[SMSyncTestHook.abortAfterStep] = step
            let killed = try await Binary.runAsync(
                ["sync", "--config", world.config], environment: environment, timeout: 120)
            #expect(killed.status == 9, "killed after \(step): \(killed.status) \(killed.stderr)")
            let rerun = try await world.sync()
            #expect(rerun.status == 0, "rerun after \(step): \(rerun.stdout)\n\(rerun.stderr)")
            let (hooks, dispatches, pulls) = await Self.counts(world)
            #expect(hooks == 2, "one webhook per changed kernel (killed after \(step))")
            #expect(dispatches == 1, "one dispatch for the examples pin (killed after \(step))")
            #expect(pulls == 1, "one pull request opened (killed after \(step))")
            let status = try await world.run(["status", "--format", "json"])
            let report = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
            #expect((report?["pending_triggers"] as? [Any])?.isEmpty == true, "after \(step): \(status.stdout)")
            await world.close()
        }
    }
}
