import Foundation
import SMSync
import Testing

@testable import SMSyncRuntime
@testable import SMSyncTestSupport

@Suite("GitHub API reads")
struct GitHubClientTests {
    let web: any HTTPTransport = PatientTransport()

    func client(_ fixture: GitHubFixture, environment: [String: String]? = nil) throws -> GitHubClient {
        try GitHubClient(http: web, environment: environment ?? fixture.environment, userAgent: "smsync/test")
    }

    @Test func headCommitSendsTheAPIHeadersAndHonoursTheETag() async throws {
        let fixture = try await GitHubFixture.start(repo: "aws/amazon-sagemaker-examples")
        defer { Task { await fixture.server.stop() } }
        let sha = await fixture.fake.seedBranch("default", files: ["README.md": "hi"])
        let github = try client(fixture)

        #expect(try await github.headCommit(repo: "aws/amazon-sagemaker-examples", branch: "default") == sha)
        let first = try await github.headCommitIfChanged(
            repo: "aws/amazon-sagemaker-examples", branch: "default", etag: nil)
        guard case .commit(let head, let etag?) = first else {
            Issue.record("expected a commit with an ETag, got \(first)")
            return
        }
        #expect(head == sha)
        let second = try await github.headCommitIfChanged(
            repo: "aws/amazon-sagemaker-examples", branch: "default", etag: etag)
        #expect(second == .unchanged)
        let moved = await fixture.fake.advance("default")
        let third = try await github.headCommitIfChanged(
            repo: "aws/amazon-sagemaker-examples", branch: "default", etag: etag)
        #expect(third == .commit(sha: moved, etag: "\"etag-\(moved)\""))

        let requests = await fixture.server.requests
        #expect(requests.count == 4)
        let request = try #require(requests.first)
        #expect(request.path == "/repos/aws/amazon-sagemaker-examples/commits/default")
        #expect(request.headers["authorization"] == "Bearer \(GitHubFixture.token)")
        #expect(request.headers["accept"] == "application/vnd.github+json")
        #expect(request.headers["x-github-api-version"] == "2022-11-28")
        #expect(request.headers["user-agent"] == "smsync/test")
        #expect(requests[2].headers["if-none-match"] == etag)
    }

    @Test func withoutATokenReadsAreAnonymousAndWritesAreRefusedBeforeSending() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.seedBranch("main", files: ["a": "b"])
        let github = try client(fixture, environment: ["GITHUB_API_URL": fixture.server.base + "/"])
        #expect(!github.hasToken)
        _ = try await github.headCommit(repo: "octo/env-repo", branch: "main")
        #expect(await fixture.server.requests.first?.headers["authorization"] == nil)

        let error = await #expect(throws: GitHubError.self) {
            try await github.openOrUpdatePullRequest(
                repo: "octo/env-repo", base: "main", branch: "smsync/x", title: "t", body: "b")
        }
        #expect(error?.code == .missingToken)
        #expect(error?.description.contains("GITHUB_TOKEN") == true)
        #expect(await fixture.server.requests.count == 1, "nothing sent for the write")
    }

    @Test func theTokenVariableNamedInTheConfigurationIsUsed() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.seedBranch("main", files: ["a": "b"])
        let github = try GitHubClient(
            http: web, environment: ["GITHUB_API_URL": fixture.server.base, "SMSYNC_GH": "other-token-value"],
            tokenEnv: "SMSYNC_GH")
        _ = try await github.headCommit(repo: "octo/env-repo", branch: "main")
        #expect(await fixture.server.requests.first?.headers["authorization"] == "Bearer other-token-value")
    }

    @Test(arguments: [
        ("../etc", "main"), ("a/b/c", "main"), ("owner/na me", "main"), ("owner/", "main"), ("./x", "main"),
        ("octo/env-repo", "--upload-pack=x"), ("octo/env-repo", "a..b"), ("octo/env-repo", "a b"),
        ("octo/env-repo", "x?y=1"), ("octo/env-repo", "a/"), ("octo/env-repo", "x.lock"),
    ])
    func badNamesAreRefusedWithoutARequest(repo: String, branch: String) async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        let github = try client(fixture)
        let error = await #expect(throws: GitHubError.self) { try await github.headCommit(repo: repo, branch: branch) }
        #expect(error?.code == .invalidInput)
        #expect(await fixture.server.requests.isEmpty)
    }

    @Test func badContentPathsAreRefused() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        let github = try client(fixture)
        for path in ["a/../b", "/abs", "a//b", "a\nb", "a\\b", ""] {
            await #expect(throws: GitHubError.self) {
                try await github.listDirectory(repo: "octo/env-repo", path: path)
            }
        }
        #expect(await fixture.server.requests.isEmpty)
    }

    @Test func errorsNameTheEndpointStatusAndGitHubsMessageButNeverTheToken() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.setOverride(.json(401, ["message": "Bad credentials for \(GitHubFixture.token)"]))
        let github = try client(fixture)
        let error = await #expect(throws: GitHubError.self) {
            try await github.headCommit(repo: "octo/env-repo", branch: "main")
        }
        let text = try #require(error?.description)
        #expect(error?.status == 401)
        #expect(text.contains("GET /repos/octo/env-repo/commits/main"))
        #expect(text.contains("Bad credentials"))
        #expect(text.contains("GITHUB_TOKEN"))
        #expect(!text.contains(GitHubFixture.token))
        #expect(!String(describing: github).contains(GitHubFixture.token))
        #expect(!String(reflecting: github).contains(GitHubFixture.token))
    }

    @Test func aSpentRateLimitSaysWhenItResets() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.setOverride(
            .json(
                403, ["message": "API rate limit exceeded"],
                headers: ["x-ratelimit-remaining": "0", "x-ratelimit-reset": "1900000000"]))
        let error = await #expect(throws: GitHubError.self) {
            try await client(fixture).headCommit(repo: "octo/env-repo", branch: "main")
        }
        #expect(error?.code == .rateLimited)
        #expect(error?.description.contains("2030") == true)
    }

    @Test func aMissingBranchIsA404WithAHint() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        let error = await #expect(throws: GitHubError.self) {
            try await client(fixture).listDirectory(repo: "octo/env-repo", path: "nope", ref: "main")
        }
        #expect(error?.status == 404)
        #expect(error?.description.contains("GET /repos/octo/env-repo/contents/nope?ref=main") == true)
        #expect(error?.description.contains("not found") == true)
    }

    @Test func pathsWithSpacesAreEncodedAndRawFilesAskForTheRawMediaType() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.addFile(" 01 intro/requirements.txt", "sagemaker>=2.200\n")
        await fixture.fake.addFolder(" 01 intro", [("requirements.txt", "file"), ("sub", "dir")])
        let github = try client(fixture)
        let bytes = try await github.fileContent(repo: "octo/env-repo", path: " 01 intro/requirements.txt", ref: "main")
        #expect(String(decoding: bytes, as: UTF8.self) == "sagemaker>=2.200\n")
        let listing = try await github.listDirectory(repo: "octo/env-repo", path: " 01 intro")
        #expect(
            listing == [
                .init(name: "requirements.txt", type: "file", path: " 01 intro/requirements.txt"),
                .init(name: "sub", type: "dir", path: " 01 intro/sub"),
            ])
        let requests = await fixture.server.requests
        #expect(requests[0].headers["accept"] == "application/vnd.github.raw")
        #expect(requests[0].query["ref"] == "main")
        #expect(requests[0].path == "/repos/octo/env-repo/contents/ 01 intro/requirements.txt")
    }

    @Test func listingAFileIsAnError() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.addFile("README.md", "x")
        let error = await #expect(throws: GitHubError.self) {
            try await client(fixture).listDirectory(repo: "octo/env-repo", path: "README.md")
        }
        #expect(error?.code == .unexpectedResponse)
    }

    @Test func tarballsDownloadWithinTheCapAndFailAboveIt() async throws {
        let fixture = try await GitHubFixture.start()
        defer { Task { await fixture.server.stop() } }
        let payload = [UInt8](repeating: 7, count: 5000)
        await fixture.fake.addTarball("abc1234", payload)
        let github = try client(fixture)
        #expect(try await github.downloadTarball(repo: "octo/env-repo", ref: "abc1234", maxBytes: 5000) == payload)
        let error = await #expect(throws: GitHubError.self) {
            try await github.downloadTarball(repo: "octo/env-repo", ref: "abc1234", maxBytes: 4999)
        }
        #expect(error?.code == .transport)
        #expect(error?.description.contains("4999") == true)
    }

    @Test func theTransportGivesUpOnAHangingServer() async throws {
        let server = try await ScriptedServer.start { _ in
            try? await Task.sleep(nanoseconds: 20_000_000_000)
            return TestReply(status: 200)
        }
        defer { Task { await server.stop() } }
        let url = try #require(URL(string: server.base + "/slow"))
        let error = await #expect(throws: HTTPError.self) {
            try await URLSessionTransport().send(HTTPRequest(url: url, timeout: 0.5))
        }
        #expect(error?.kind == .timeout)
        #expect(error?.description.contains("/slow") == true)
    }

    @Test func aNonHTTPAPIBaseIsRefused() {
        #expect(throws: GitHubError.self) {
            try GitHubClient(http: web, environment: ["GITHUB_API_URL": "file:///etc"])
        }
    }
}

@Suite("sagemaker-distribution release folders")
struct DistributionReleaseTests {
    @Test(
        arguments: [
            (["v4.4", "v4.10", "v4.9", "README.md", "latest"], "v4.10"),
            (["v4.4.0", "v4.4.1", "v4.4.10", "v4.4.2"], "v4.4.10"),
            (["v3", "v4", "v10", "vx"], "v10"),
            (["v4.4", "v4.4.0"], "v4.4.0"),
            (["v4.5-rc1", "v4.4", "v4.4.1.post1", "v", "v.1", "v4..1"], "v4.4"),
            (["notes", ".github"], nil),
        ] as [([String], String?)])
    func newestFolderByReleaseOrder(names: [String], newest: String?) {
        #expect(GitHubClient.newestReleaseFolder(names: names) == newest)
    }

    @Test func findsTheNewestReleaseAndReadsItsFiles() async throws {
        let fixture = try await GitHubFixture.start(repo: "aws/sagemaker-distribution")
        defer { Task { await fixture.server.stop() } }
        let fake = fixture.fake
        await fake.addFolder("build_artifacts", [("v3", "dir"), ("v4", "dir"), ("README.md", "file")])
        await fake.addFolder("build_artifacts/v4", [("v4.3", "dir"), ("v4.4", "dir"), ("v4.10-draft", "dir")])
        await fake.addFolder("build_artifacts/v4/v4.4", [("v4.4.0", "dir"), ("v4.4.1", "dir")])
        await fake.addFolder(
            "build_artifacts/v4/v4.4/v4.4.1",
            [("RELEASE.md", "file"), ("CHANGELOG-cpu.md", "file"), ("cpu.env.in", "file"), ("gpu.env.out", "file")])
        await fake.addFile("build_artifacts/v4/v4.4/v4.4.1/RELEASE.md", "# Release notes: 4.4.1\n")
        await fake.addFile("build_artifacts/v4/v4.4/v4.4.1/CHANGELOG-cpu.md", "# Change log: 4.4.1 (cpu)\n")
        let github = try GitHubClient(http: PatientTransport(), environment: fixture.environment)

        let release = try await github.latestDistributionRelease(major: "4", variant: .cpu)
        #expect(release.folder == "build_artifacts/v4/v4.4/v4.4.1")
        #expect(release.version == "4.4.1")
        #expect(
            release.files.map(\.location) == [
                "build_artifacts/v4/v4.4/v4.4.1/RELEASE.md", "build_artifacts/v4/v4.4/v4.4.1/CHANGELOG-cpu.md",
            ])
        #expect(release.files.first?.text == "# Release notes: 4.4.1\n")
        #expect(DistributionReader.releaseHint(in: release.files[0].location) == "4.4.1")

        let newestMajor = try await github.latestDistributionRelease(variant: .cpu)
        #expect(newestMajor.folder == release.folder)
    }

    @Test func aLevelWithoutVersionFoldersFailsLoudly() async throws {
        let fixture = try await GitHubFixture.start(repo: "aws/sagemaker-distribution")
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.addFolder("build_artifacts/v4", [("notes", "dir"), ("README.md", "file")])
        let github = try GitHubClient(http: PatientTransport(), environment: fixture.environment)
        let error = await #expect(throws: GitHubError.self) { try await github.latestDistributionRelease(major: "v4") }
        #expect(error?.description.contains("layout") == true)
        await #expect(throws: GitHubError.self) { try await github.latestDistributionRelease(major: "4/../x") }
    }
}
