import Foundation
import Testing

@testable import SMSyncRuntime
@testable import SMSyncTestSupport

@Suite("GitHub branches and pull requests without git push")
struct GitHubPullRequestTests {
    let repo = "octo/env-repo"

    func client(_ fixture: GitHubFixture) throws -> GitHubClient {
        try GitHubClient(http: PatientTransport(), environment: fixture.environment)
    }

    func file(_ path: String, _ text: String) -> GitHubClient.BranchFile {
        .init(path: path, content: Array(text.utf8))
    }

    @Test func publishCreatesTheBranchOnTopOfBaseThenIsIdempotentThenMoves() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        let fake = fixture.fake
        let base = await fake.seedBranch("main", files: ["envs/python3.yml": "old\n", "README.md": "r\n"])
        let github = try client(fixture)
        let files = [file("envs/python3.yml", "name: python3\ndependencies:\n  - numpy=2.0\n")]

        let first = try await github.publishBranch(
            repo: repo, base: "main", branch: "smsync/update", files: files, message: "Update numpy")
        #expect(first.outcome == .created)
        #expect(await fake.ref("smsync/update") == first.commit)
        let commit = try #require(await fake.commit(first.commit))
        #expect(commit.parents == [base])
        #expect(commit.message == "Update numpy")
        let tree = try #require(await fake.tree(commit.tree))
        #expect(tree["README.md"] != nil, "the base tree is kept")
        #expect(tree["envs/python3.yml"] == (await fake.hash("blob", "name: python3\ndependencies:\n  - numpy=2.0\n")))

        let requests = await fixture.server.requests
        #expect(
            requests.map { "\($0.method) \($0.path)" } == [
                "GET /repos/octo/env-repo/git/ref/heads/main",
                "GET /repos/octo/env-repo/git/commits/\(base)",
                "POST /repos/octo/env-repo/git/trees",
                "GET /repos/octo/env-repo/git/ref/heads/smsync/update",
                "POST /repos/octo/env-repo/git/commits",
                "POST /repos/octo/env-repo/git/refs",
            ])
        let treeBody = try requests[2].json()
        #expect(treeBody["base_tree"] as? String == (await fake.commit(base)?.tree))
        let entry = try #require((treeBody["tree"] as? [[String: Any]])?.first)
        #expect(entry["path"] as? String == "envs/python3.yml")
        #expect(entry["mode"] as? String == "100644")
        #expect(entry["type"] as? String == "blob")
        #expect(entry["content"] as? String == "name: python3\ndependencies:\n  - numpy=2.0\n")
        #expect(requests[2].headers["content-type"] == "application/json")
        #expect(try requests[5].json()["ref"] as? String == "refs/heads/smsync/update")

        // A rerun with the same content writes nothing.
        let again = try await github.publishBranch(
            repo: repo, base: "main", branch: "smsync/update", files: files, message: "Update numpy")
        #expect(again == .init(commit: first.commit, outcome: .unchanged))
        let afterRerun = await fixture.server.requests.dropFirst(6)
        #expect(!afterRerun.contains { $0.path.hasSuffix("/git/commits") && $0.method == "POST" })
        #expect(!afterRerun.contains { $0.method == "PATCH" || $0.path.hasSuffix("/git/refs") })

        // New content: the branch is force-moved to a new commit on the base.
        let moved = try await github.publishBranch(
            repo: repo, base: "main", branch: "smsync/update", files: [file("envs/python3.yml", "numpy=2.1\n")],
            message: "Update numpy again")
        #expect(moved.outcome == .updated)
        #expect(moved.commit != first.commit)
        #expect(await fake.ref("smsync/update") == moved.commit)
        #expect(await fake.commit(moved.commit)?.parents == [base])
        let patch = try #require(await fixture.server.requests.last)
        #expect(patch.method == "PATCH")
        #expect(patch.path == "/repos/octo/env-repo/git/refs/heads/smsync/update")
        #expect(try patch.json()["force"] as? Bool == true)
    }

    @Test func whenTheBaseMovesTheBranchIsRebuiltOnTheNewBase() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.seedBranch("main", files: ["a.yml": "a\n"])
        let github = try client(fixture)
        let files = [file("a.yml", "b\n")]
        let first = try await github.publishBranch(
            repo: repo, base: "main", branch: "smsync/x", files: files, message: "m")
        let newBase = await fixture.fake.advance("main")
        let second = try await github.publishBranch(
            repo: repo, base: "main", branch: "smsync/x", files: files, message: "m")
        #expect(second.outcome == .updated)
        #expect(second.commit != first.commit)
        #expect(await fixture.fake.commit(second.commit)?.parents == [newBase])
    }

    @Test func bytesThatAreNotUTF8GoUpAsABase64Blob() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.seedBranch("main", files: ["a": "a"])
        let bytes: [UInt8] = [0xFF, 0xFE, 0x00, 0x41]
        let result = try await client(fixture).publishBranch(
            repo: repo, base: "main", branch: "smsync/bin", files: [.init(path: "data.bin", content: bytes)],
            message: "m")
        let tree = try #require(await fixture.fake.commit(result.commit)?.tree)
        let blob = try #require(await fixture.fake.tree(tree)?["data.bin"])
        #expect(await fixture.fake.blob(blob) == bytes)
    }

    @Test func aMissingBaseBranchFailsWithTheEndpoint() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        let error = await #expect(throws: GitHubError.self) {
            try await client(fixture).publishBranch(
                repo: repo, base: "develop", branch: "smsync/x", files: [file("a", "b")], message: "m")
        }
        #expect(error?.status == 404)
        #expect(error?.endpoint == "GET /repos/octo/env-repo/git/ref/heads/develop")
    }

    @Test func unsafeFilePathsAreRefused() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        for path in ["../x", "/etc/passwd", "a//b", ""] {
            await #expect(throws: GitHubError.self) {
                try await client(fixture).publishBranch(
                    repo: repo, base: "main", branch: "smsync/x", files: [file(path, "b")], message: "m")
            }
        }
        #expect(await fixture.server.requests.isEmpty)
    }

    @Test func aPullRequestIsOpenedOnceThenUpdated() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        let github = try client(fixture)
        let opened = try await github.openOrUpdatePullRequest(
            repo: repo, base: "main", branch: "smsync/update", title: "Update 2 kernels", body: "first")
        #expect(opened.created)
        #expect(opened.number == 1)
        #expect(opened.url == "https://github.test/octo/env-repo/pull/1")
        let updated = try await github.openOrUpdatePullRequest(
            repo: repo, base: "main", branch: "smsync/update", title: "Update 3 kernels", body: "second")
        #expect(!updated.created)
        #expect(updated.number == 1)
        let pulls = await fixture.fake.pulls
        #expect(pulls.count == 1)
        #expect(pulls[1]?.title == "Update 3 kernels")
        #expect(pulls[1]?.body == "second")
        #expect(pulls[1]?.head == "smsync/update")
        #expect(pulls[1]?.base == "main")

        let requests = await fixture.server.requests
        #expect(requests.map(\.method) == ["GET", "POST", "GET", "PATCH"])
        #expect(requests[0].query["head"] == "octo:smsync/update")
        #expect(requests[0].query["state"] == "open")
        #expect(requests[3].path == "/repos/octo/env-repo/pulls/1")
        let create = try requests[1].json()
        #expect(create["head"] as? String == "smsync/update")
        #expect(create["base"] as? String == "main")
        #expect(requests.allSatisfy { $0.headers["authorization"] == "Bearer \(GitHubFixture.token)" })

        let other = try await github.openOrUpdatePullRequest(
            repo: repo, base: "main", branch: "smsync/other", title: "t", body: "b")
        #expect(other.created)
        #expect(other.number == 2)
    }

    @Test func aRefusedPullRequestPassesOnGitHubsMessage() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.setOverride(.json(422, ["message": "Validation Failed: No commits between main and x"]))
        let error = await #expect(throws: GitHubError.self) {
            try await client(fixture).openOrUpdatePullRequest(
                repo: repo, base: "main", branch: "smsync/x", title: "t", body: "b")
        }
        #expect(error?.githubMessage == "Validation Failed: No commits between main and x")
        #expect(error?.description.contains("status 422") == true)
    }
}
