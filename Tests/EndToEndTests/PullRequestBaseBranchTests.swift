import Foundation
import Testing

@testable import SMSyncTestSupport

/// Pull-request mode against a GitHub whose repository is a real bare git repository: the branch is built on the
/// base branch's files as they are on GitHub, never on a stale local checkout, and a lost state database does
/// not make a run fire or open anything twice.
@Suite("smsync sync: pull requests built on the base branch (git-backed fake GitHub)", .serialized)
struct PullRequestBaseBranchTests {
    static let envs = "image/base/utils/envs"

    struct World {
        let root: URL
        let server: ScriptedServer
        let upstream: SyncEndToEndTests.Upstream
        let github: GitBackedGitHub
        /// A teammate's clone of the repository, used to push to `main` as a person would.
        let teammate: URL
        /// The folder holding `smsync.yml`: a clone taken once (`checkout: true`), or a folder without env files.
        let deployment: URL
        var config: String { deployment.appendingPathComponent("smsync.yml").path }
        var statePath: String { root.appendingPathComponent("state/state.db").path }
        var environment: [String: String] {
            ["GITHUB_API_URL": server.base + "/api", "GITHUB_TOKEN": SyncEndToEndTests.token, "NO_COLOR": "1"]
        }

        static func make(checkout: Bool) async throws -> World {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-base-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let github = try GitBackedGitHub.create(repo: "acme/image", at: root.appendingPathComponent("origin.git"))
            let teammate = root.appendingPathComponent("teammate")
            try GitBackedGitHub.runGit(
                ["clone", "--quiet", github.gitDirectory.path, teammate.path], in: root)
            try FileManager.default.copyItem(
                at: Binary.fixture("demo/image"), to: teammate.appendingPathComponent("image"))
            try commitAndPush(teammate, message: "image")

            let deployment = root.appendingPathComponent("deployment")
            if checkout {
                try GitBackedGitHub.runGit(["clone", "--quiet", github.gitDirectory.path, deployment.path], in: root)
            } else {
                try FileManager.default.createDirectory(at: deployment, withIntermediateDirectories: true)
            }
            let upstream = SyncEndToEndTests.Upstream()
            let exports = Binary.fixture("demo/upstream/exports")
            let server = try await ScriptedServer.start { request in
                if request.path.hasPrefix("/api/") {
                    var inner = request
                    inner.path = String(request.path.dropFirst("/api".count))
                    return await github.respond(inner)
                }
                if request.path == "/hook" { return await upstream.hook(request) }
                if request.path == "/docs/nbi-al2023.html" { return await upstream.docs(request) }
                if request.path.hasPrefix("/exports/") {
                    let name = String(request.path.dropFirst("/exports/".count))
                    guard !name.contains("/"), let data = try? Data(contentsOf: exports.appendingPathComponent(name))
                    else { return .text(404, "no such key") }
                    let etag = "\"" + String(data.count) + "-" + name + "\""
                    if request.headers["if-none-match"] == etag {
                        return TestReply(status: 304, headers: ["ETag": etag])
                    }
                    return TestReply(status: 200, headers: ["ETag": etag], body: Array(data))
                }
                return .text(404, "not found")
            }
            let config = """
                envs:
                  dir: \(PullRequestBaseBranchTests.envs)
                state: \(root.appendingPathComponent("state/state.db").path)
                sources:
                  - kind: env-export
                    url: \(server.base)/exports/
                  - kind: aws-docs
                    url: \(server.base)/docs/nbi-al2023.html
                http: {timeout_seconds: 60, connect_timeout_seconds: 30, retries: 1}
                rebuild:
                  - name: image-build
                    webhook: {url: "\(server.base)/hook"}
                pull_request:
                  github: {repo: acme/image, base: main, token_env: GITHUB_TOKEN}

                """
            try config.write(to: deployment.appendingPathComponent("smsync.yml"), atomically: true, encoding: .utf8)
            return World(
                root: root, server: server, upstream: upstream, github: github, teammate: teammate,
                deployment: deployment)
        }

        static func commitAndPush(_ clone: URL, message: String) throws {
            try GitBackedGitHub.runGit(["add", "-A"], in: clone)
            try GitBackedGitHub.runGit(["commit", "--quiet", "-m", message], in: clone)
            try GitBackedGitHub.runGit(["push", "--quiet", "origin", "HEAD:main"], in: clone)
        }

        /// A teammate pulls `main`, changes one env file with `edit` and pushes.
        func teammateEdits(_ file: String, message: String, _ edit: (String) -> String) throws {
            try GitBackedGitHub.runGit(["pull", "--quiet", "--ff-only", "origin", "main"], in: teammate)
            let url = teammate.appendingPathComponent("\(PullRequestBaseBranchTests.envs)/\(file)")
            let text = try String(contentsOf: url, encoding: .utf8)
            try Data(edit(text).utf8).write(to: url)
            try World.commitAndPush(teammate, message: message)
        }

        func sync(_ extra: [String] = []) async throws -> Binary.Result {
            try await Binary.runAsync(["sync", "--config", config] + extra, environment: environment, timeout: 120)
        }

        func pullRequestPosts() async -> Int {
            await server.requests.filter { $0.method == "POST" && $0.path == "/api/repos/acme/image/pulls" }.count
        }

        func close() async {
            await server.stop()
            try? FileManager.default.removeItem(at: root)
        }
    }

    /// Lines a diff adds or removes, without the file headers and without line-ending noise.
    static func changedLines(_ diff: String) -> (removed: [String], added: [String]) {
        // "\r\n" is one Character in Swift: normalise before splitting.
        let lines = diff.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        let removed = lines.filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.map { String($0.dropFirst()) }
        let added = lines.filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }.map { String($0.dropFirst()) }
        return (removed, added)
    }

    /// A line with its version text blanked: digits and dots.
    static func skeleton(_ line: String) -> String {
        String(line.filter { !$0.isNumber && $0 != "." })
    }

    @Test func aTeammatesChangeToMainSurvivesTheNextUpdateOfThePullRequest() async throws {
        let world = try await World.make(checkout: true)
        let localBefore = try Data(
            contentsOf: world.deployment.appendingPathComponent("\(Self.envs)/tensorflow2_p310.yml"))

        let first = try await world.sync()
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("pull request opened"))
        let branch = try #require(await world.github.refs.keys.first { $0.hasPrefix("smsync/") })

        // A teammate adds a comment to the same file and drops a package smsync wants to move; main moves twice.
        try world.teammateEdits("tensorflow2_p310.yml", message: "document the channel") {
            $0.replacingOccurrences(of: "channels:\r\n", with: "channels:\r\n# teammate: keep conda-forge only\r\n")
        }
        try world.teammateEdits("python3.yml", message: "drop ipywidgets") {
            $0.replacingOccurrences(of: "  - ipywidgets=8.1.2\n", with: "")
        }
        let main = try #require(await world.github.ref("main"))

        // Upstream moves: the pull request is rebuilt on the new main, from main's files.
        await world.upstream.setDocs(version: "2.15.1", etag: "\"docs-2\"")
        let second = try await world.sync()
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        #expect(second.stdout.contains("pull request updated"), "\(second.stdout)")
        let head = try #require(await world.github.ref(branch))
        #expect(try await world.github.parents(head) == [main], "the branch's parent is the new main")

        let tensorflow = String(
            decoding: try await world.github.show(branch, "\(Self.envs)/tensorflow2_p310.yml"), as: UTF8.self)
        #expect(tensorflow.contains("# teammate: keep conda-forge only\r\n"), "the teammate's line is kept")
        #expect(tensorflow.contains("tensorflow==2.15.1"))
        let python = String(decoding: try await world.github.show(branch, "\(Self.envs)/python3.yml"), as: UTF8.self)
        #expect(!python.contains("ipywidgets"), "a package removed on main is not brought back")

        // main..branch is version text only: each removed line comes back with only digits and dots changed.
        let diff = try await world.github.diff("main..\(branch)")
        let (removed, added) = Self.changedLines(diff)
        #expect(!removed.isEmpty)
        #expect(removed.count == added.count, "\(diff)")
        #expect(removed.map(Self.skeleton) == added.map(Self.skeleton), "\(diff)")
        #expect(added.contains("- tensorflow==2.15.1"), "\(diff)")

        // The pull-request body says why ipywidgets was left out.
        let body = try #require(await world.github.pullBody(1))
        #expect(body.contains("ipywidgets"), "\(body)")
        #expect(body.contains("not in"), "\(body)")

        // The deployment's checkout is not touched, and is not needed: it is as it was cloned.
        #expect(
            try Data(contentsOf: world.deployment.appendingPathComponent("\(Self.envs)/tensorflow2_p310.yml"))
                == localBefore)
        await world.close()
    }

    @Test func aLostStateDatabaseFiresNothingAndOpensNothingNew() async throws {
        let world = try await World.make(checkout: true)
        let first = try await world.sync()
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("pull request opened"))
        let hooks = await world.upstream.hooks.count
        #expect(hooks > 0)
        let branch = try #require(await world.github.refs.keys.first { $0.hasPrefix("smsync/") })
        let head = await world.github.ref(branch)

        // The state is lost (a cache evicted) while the pull request is open: nothing fires, nothing new opens.
        try FileManager.default.removeItem(at: world.root.appendingPathComponent("state"))
        let second = try await world.sync()
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        #expect(await world.upstream.hooks.count == hooks, "no trigger fires again: \(second.stdout)")
        #expect(await world.pullRequestPosts() == 1)
        #expect(await world.github.ref(branch) == head, "the branch is left as it is")

        // The pull request is merged, the state is lost again, the deployment's checkout is still the old one.
        try await world.github.mergePull(1)
        try FileManager.default.removeItem(at: world.root.appendingPathComponent("state"))
        let third = try await world.sync()
        #expect(third.status == 0, "\(third.stdout)\n\(third.stderr)")
        #expect(await world.upstream.hooks.count == hooks, "no trigger fires: \(third.stdout)")
        #expect(await world.pullRequestPosts() == 1, "no pull request is opened: \(third.stdout)")
        #expect(third.stdout.contains("nothing to do"), "\(third.stdout)")

        // An empty (not missing) database behaves the same.
        try FileManager.default.removeItem(at: world.root.appendingPathComponent("state"))
        try FileManager.default.createDirectory(
            at: world.root.appendingPathComponent("state"), withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: world.statePath))
        let fourth = try await world.sync()
        #expect(fourth.status == 0, "\(fourth.stdout)\n\(fourth.stderr)")
        #expect(await world.upstream.hooks.count == hooks)
        #expect(await world.pullRequestPosts() == 1)
        await world.close()
    }

    @Test func pullRequestModeNeedsNoLocalCheckout() async throws {
        let world = try await World.make(checkout: false)
        let first = try await world.sync()
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("pull request opened"), "\(first.stdout)")
        let branch = try #require(await world.github.refs.keys.first { $0.hasPrefix("smsync/") })
        let diff = try await world.github.diff("main..\(branch)")
        let (removed, added) = Self.changedLines(diff)
        #expect(removed.map(Self.skeleton) == added.map(Self.skeleton))
        #expect(added.contains("- tensorflow==2.14.1"), "\(diff)\n\(first.stdout)\n\(first.stderr)")
        #expect(!FileManager.default.fileExists(atPath: world.deployment.appendingPathComponent("image").path))

        // Nothing changed upstream: the next run stays quiet.
        let second = try await world.sync()
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        #expect(await world.pullRequestPosts() == 1)
        await world.close()
    }
}
