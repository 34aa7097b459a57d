import Crypto
import Foundation
import Testing

@testable import SMSyncTestSupport

/// `smsync sync` end to end: the built binary against a real loopback server that plays the AWS docs page, an
/// S3-style export folder, the GitHub API (commits, archive, git data, pulls) and a webhook receiver.
@Suite("smsync sync (built binary, loopback upstream)", .serialized)
struct SyncEndToEndTests {
    static let token = "ghp_e2eSECRETtoken0123456789abcdef"
    static let hookSecret = "hook-secret-5f1d2c"

    /// What the fake upstream serves, changeable between runs.
    actor Upstream {
        var docsVersion = "2.14.1"
        var docsETag = "\"docs-1\""
        var docsFailures: [TestReply] = []
        var docsDelay: Double = 0
        var layoutBroken = false
        var hookStatus = 200
        /// Whether the webhook receiver answers with the request's headers, as some echo services do.
        var echoHooks = false
        var hooks: [RecordedRequest] = []

        func setDocs(version: String, etag: String) {
            docsVersion = version
            docsETag = etag
        }

        func setDocsFailures(_ replies: [TestReply]) { docsFailures = replies }
        func setDocsDelay(_ seconds: Double) { docsDelay = seconds }
        func setLayoutBroken(_ broken: Bool) { layoutBroken = broken }
        func setHookStatus(_ status: Int) { hookStatus = status }
        func setEchoHooks(_ on: Bool) { echoHooks = on }

        func docs(_ request: RecordedRequest) async -> TestReply {
            if !docsFailures.isEmpty { return docsFailures.removeFirst() }
            if docsDelay > 0 { try? await Task.sleep(for: .seconds(docsDelay)) }
            let etag = layoutBroken ? "\"broken\"" : docsETag
            if request.headers["if-none-match"] == etag { return TestReply(status: 304, headers: ["ETag": etag]) }
            let table =
                layoutBroken
                ? "<p>The kernels moved to a new page.</p>"
                : """
                <table><thead><tr><th>Kernel name</th><th>Description</th></tr></thead>
                <tr><td><code>conda_python3</code></td><td>Popular packages. This kernel comes with Python 3.10.</td></tr>
                <tr><td><code>conda_tensorflow2_p310</code></td><td>TensorFlow version \(docsVersion). This kernel \
                comes with Python 3.10.</td></tr>
                </table>
                """
            let page = "<html><body><h1>AL2023 notebook instances</h1>\(table)</body></html>"
            return TestReply(
                status: 200, headers: ["ETag": etag, "Content-Type": "text/html"], body: Array(page.utf8))
        }

        /// Export files served instead of the demo's (by name), and whether the index carries digests.
        var exportOverrides: [String: [UInt8]] = [:]
        var indexWithDigests = false
        /// The status of every answer to an export request, in order.
        var exportStatuses: [Int] = []

        func setExport(_ name: String, _ text: String) { exportOverrides[name] = Array(text.utf8) }
        func setIndexWithDigests(_ on: Bool) { indexWithDigests = on }

        /// An S3-style folder: ETags from the content (like S3's MD5), conditional answers, 404 for unknown keys.
        func export(_ request: RecordedRequest, folder: URL) -> TestReply {
            let name = String(request.path.dropFirst("/exports/".count))
            guard !name.contains("/") else { return .text(404, "no such key") }
            var body: [UInt8]?
            if name == "environment_list.txt", indexWithDigests {
                // The exporter's newer form: `<env> <sha256 of env.yml + env_pip.txt>`.
                let names = (file("environment_list.txt", folder).map { String(decoding: $0, as: UTF8.self) } ?? "")
                    .split(separator: "\n").map(String.init)
                body =
                    Array(
                        names.map { env in
                            let content = (file("\(env).yml", folder) ?? []) + (file("\(env)_pip.txt", folder) ?? [])
                            return env + " " + SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined()
                        }.joined(separator: "\n").utf8) + [10]
            } else {
                body = file(name, folder)
            }
            guard let body else {
                exportStatuses.append(404)
                return .text(404, "no such key")
            }
            let etag = "\"" + SHA256.hash(data: body).prefix(8).map { String(format: "%02x", $0) }.joined() + "\""
            if request.headers["if-none-match"] == etag {
                exportStatuses.append(304)
                return TestReply(status: 304, headers: ["ETag": etag])
            }
            exportStatuses.append(200)
            return TestReply(status: 200, headers: ["ETag": etag], body: body)
        }

        func file(_ name: String, _ folder: URL) -> [UInt8]? {
            if let override = exportOverrides[name] { return override }
            return (try? Data(contentsOf: folder.appendingPathComponent(name))).map(Array.init)
        }

        func hook(_ request: RecordedRequest) -> TestReply {
            hooks.append(request)
            return echoHooks ? .json(hookStatus, request.headers) : TestReply(status: hookStatus)
        }
    }

    /// A workspace: a copy of the demo image in a git repository, and a configuration pointing at the server.
    struct World {
        let root: URL
        let server: ScriptedServer
        let upstream: Upstream
        let image: FakeGitHub
        let examples: FakeGitHub
        let distribution: FakeGitHub
        var config: String { root.appendingPathComponent("smsync.yml").path }
        var statePath: String { root.appendingPathComponent("state/state.db").path }
        var environment: [String: String] {
            [
                "GITHUB_API_URL": server.base + "/api", "GITHUB_TOKEN": SyncEndToEndTests.token,
                "HOOK_SECRET": SyncEndToEndTests.hookSecret, "NO_COLOR": "1",
            ]
        }

        /// `timeout` bounds each request (and its connect, up to 30 s); tests of hangs pass a short one, the others
        /// a generous one, since the loopback server shares two cores with every suite running at once.
        static func make(pullRequests: Bool, timeout: Double = 60, retries: Int = 2) async throws -> World {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-sync-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: Binary.fixture("demo/image"), to: root.appendingPathComponent("image"))
            let upstream = Upstream()
            let image = FakeGitHub(repo: "acme/image")
            let examples = FakeGitHub(repo: "aws/amazon-sagemaker-examples")
            let distribution = FakeGitHub(repo: "aws/sagemaker-distribution")
            let exports = Binary.fixture("demo/upstream/exports")
            let server = try await ScriptedServer.start { original in
                // `/t/<anything>/…` serves `/…`: room for a token in a source URL's path.
                var request = original
                if request.path.hasPrefix("/t/"), let slash = request.path.dropFirst(3).firstIndex(of: "/") {
                    request.path = String(request.path[slash...])
                }
                if request.path.hasPrefix("/api/") {
                    var inner = request
                    inner.path = String(request.path.dropFirst("/api".count))
                    if inner.path.hasPrefix("/repos/aws/amazon-sagemaker-examples") {
                        return await examples.respond(inner)
                    }
                    if inner.path.hasPrefix("/repos/aws/sagemaker-distribution") {
                        return await distribution.respond(inner)
                    }
                    return await image.respond(inner)
                }
                if request.path == "/hook" { return await upstream.hook(request) }
                if request.path == "/docs/nbi-al2023.html" { return await upstream.docs(request) }
                if request.path.hasPrefix("/exports/") { return await upstream.export(request, folder: exports) }
                return .text(404, "not found")
            }
            // The image repository on "GitHub" holds the same files as the local checkout.
            var files: [String: String] = [:]
            let envs = root.appendingPathComponent("image/base/utils/envs")
            for name in try FileManager.default.contentsOfDirectory(atPath: envs.path) {
                files["image/base/utils/envs/\(name)"] = try String(
                    contentsOf: envs.appendingPathComponent(name), encoding: .utf8)
            }
            files["image/base/utils/sample-notebooks/examples-commit.txt"] = try String(
                contentsOf: root.appendingPathComponent("image/base/utils/sample-notebooks/examples-commit.txt"),
                encoding: .utf8)
            await image.seedBranch("main", files: files)
            await distribution.addFolder(
                "build_artifacts/v4", [("v4.9", "dir"), ("v4.10", "dir"), ("README.md", "file")])
            await distribution.addFolder("build_artifacts/v4/v4.10", [("v4.10.0", "dir"), ("v4.10.1", "dir")])
            await distribution.addFile(
                "build_artifacts/v4/v4.10/v4.10.1/RELEASE.md",
                "# Release notes: 4.10.1\n\nPackage | gpu| cpu\n---|---|---\nseaborn|0.13.2|0.13.2\nscipy|1.14.1|1.14.1\n"
            )
            let head = await examples.seedBranch("default", files: ["README.md": "examples"])
            await examples.addTarball(
                head, try Self.examplesTarball(top: "aws-amazon-sagemaker-examples-\(head.prefix(7))"))
            let pullRequest =
                pullRequests ? "pull_request:\n  github: {repo: acme/image, base: main, token_env: GITHUB_TOKEN}\n" : ""
            let config = """
                envs:
                  dir: image/base/utils/envs
                state: state/state.db
                sources:
                  - kind: env-export
                    url: \(server.base)/exports/
                  - kind: aws-docs
                    url: \(server.base)/docs/nbi-al2023.html
                  - kind: distribution
                    url: https://github.com/aws/sagemaker-distribution
                    repo: aws/sagemaker-distribution
                    branch: v4
                    kernels: [conda_python3]
                  - kind: examples
                    url: https://github.com/aws/amazon-sagemaker-examples
                    repo: aws/amazon-sagemaker-examples
                    branch: default
                    pin_file: image/base/utils/sample-notebooks/examples-commit.txt
                http: {timeout_seconds: \(timeout), connect_timeout_seconds: \(min(timeout, 30)), retries: \(retries)}
                rebuild:
                  - name: image-build
                    webhook: {url: "\(server.base)/hook", secret_env: HOOK_SECRET}
                  - name: examples-tab
                    kernels: [examples]
                    github_dispatch: {repo: acme/image, event_type: rebuild-examples}
                \(pullRequest)
                """
            try config.write(to: root.appendingPathComponent("smsync.yml"), atomically: true, encoding: .utf8)
            for arguments in [
                ["init", "--quiet", "--initial-branch=main"], ["add", "-A"],
                ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "image"],
            ] {
                try Git.run(arguments, in: root)
            }
            return World(
                root: root, server: server, upstream: upstream, image: image, examples: examples,
                distribution: distribution)
        }

        static func examplesTarball(top: String) throws -> [UInt8] {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "smsync-tar-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try FileManager.default.copyItem(
                at: Binary.fixture("demo/upstream/examples"), to: folder.appendingPathComponent(top))
            let archive = folder.appendingPathComponent("examples.tar.gz")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["tar", "-czf", archive.path, "-C", folder.path, top]
            try process.run()
            process.waitUntilExit()
            return Array(try Data(contentsOf: archive))
        }

        func sync(_ extra: [String] = []) async throws -> Binary.Result {
            try await Binary.runAsync(["sync", "--config", config] + extra, environment: environment, timeout: 120)
        }

        func run(_ arguments: [String]) async throws -> Binary.Result {
            try await Binary.runAsync(arguments + ["--config", config], environment: environment, timeout: 120)
        }

        func envs() throws -> [String: Data] {
            let folder = root.appendingPathComponent("image/base/utils/envs")
            var result: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                result[name] = try Data(contentsOf: folder.appendingPathComponent(name))
            }
            return result
        }

        func close() async {
            await server.stop()
            try? FileManager.default.removeItem(at: root)
        }

        /// Every byte smsync could have left the token in: the state database and its WAL.
        func stateBytes() throws -> Data {
            var data = Data()
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: statePath + suffix) {
                data.append(try Data(contentsOf: URL(fileURLWithPath: statePath + suffix)))
            }
            return data
        }
    }

    static func validSignature(_ request: RecordedRequest) -> Bool {
        let mac = HMAC<SHA256>.authenticationCode(
            for: request.body, using: SymmetricKey(data: Array(hookSecret.utf8)))
        let expected = "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
        return request.headers["x-smsync-signature"] == expected
    }

    @Test func pullRequestFlowOpensOnceTriggersOnceAndStaysQuietWhenNothingChanged() async throws {
        let world = try await World.make(pullRequests: true)
        let before = try world.envs()

        // First run: updates committed on a branch through the API, one PR, one signed webhook per kernel.
        let first = try await world.sync(["--log-format", "json"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("pull request opened"))
        #expect(try world.envs() == before, "the working tree stays as it was")
        var requests = await world.server.requests
        #expect(requests.filter { $0.method == "POST" && $0.path == "/api/repos/acme/image/pulls" }.count == 1)
        var hooks = await world.upstream.hooks
        let kernels = hooks.compactMap { request -> [String]? in
            (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["kernels"] as? [String]
        }
        #expect(kernels.map { $0.joined() }.sorted() == ["conda_python3", "conda_tensorflow2_p310"])
        #expect(hooks.allSatisfy(Self.validSignature))
        #expect(requests.filter { $0.method == "POST" && $0.path == "/api/repos/acme/image/dispatches" }.count == 1)
        #expect(requests.contains { $0.path.hasSuffix("/v4.10.1/RELEASE.md") }, "the newest release folder is read")
        let branch = try #require(await world.image.refs.keys.first { $0.hasPrefix("smsync/") })
        #expect(await world.image.ref(branch) != nil)

        // Second run, nothing changed upstream: one conditional request per source (and per file of a
        // names-only export index: the index, python3.yml and python3_pip.txt), all 304; nothing else.
        let count = requests.count
        let second = try await world.sync()
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        requests = await world.server.requests
        let secondRun = Array(requests[count...])
        #expect(secondRun.count == 6, "\(secondRun.map { "\($0.method) \($0.path)" })")
        #expect(secondRun.allSatisfy { $0.method == "GET" && $0.headers["if-none-match"] != nil })
        hooks = await world.upstream.hooks
        #expect(hooks.count == 2, "no trigger fires again for the same upstream content")

        // Upstream moves: the same PR is updated, and only the changed kernel triggers, once.
        await world.upstream.setDocs(version: "2.15.1", etag: "\"docs-2\"")
        let third = try await world.sync()
        #expect(third.status == 0, "\(third.stdout)\n\(third.stderr)")
        #expect(third.stdout.contains("pull request updated"))
        requests = await world.server.requests
        #expect(requests.filter { $0.method == "POST" && $0.path == "/api/repos/acme/image/pulls" }.count == 1)
        #expect(requests.contains { $0.method == "PATCH" && $0.path.hasPrefix("/api/repos/acme/image/pulls/") })
        hooks = await world.upstream.hooks
        #expect(hooks.count == 3)
        let last = try #require(hooks.last)
        #expect(last.bodyText.contains("conda_tensorflow2_p310"))
        #expect(last.bodyText.contains("2.15.1"))

        // The token appears nowhere: not in output, logs or the state database.
        for output in [first.stdout, first.stderr, second.stdout, second.stderr, third.stdout, third.stderr] {
            #expect(!output.contains(Self.token))
        }
        let state = try world.stateBytes()
        #expect(state.range(of: Data(Self.token.utf8)) == nil)
        #expect(state.range(of: Data(Self.hookSecret.utf8)) == nil)
        let status = try await Binary.runAsync(["status", "--config", world.config], environment: world.environment)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(!status.stdout.contains(Self.token))
        let history = try await Binary.runAsync(
            ["history", "--config", world.config, "--limit", "2"], environment: world.environment)
        #expect(history.status == 0)
        await world.close()
    }

    @Test func inPlaceRunEditsFilesMovesThePinAndRetriesAFailedWebhookOnce() async throws {
        let world = try await World.make(pullRequests: false)
        let before = try world.envs()
        await world.upstream.setHookStatus(500)
        let metrics = world.root.appendingPathComponent("smsync.prom").path
        let first = try await world.sync(["--metrics-file", metrics])
        #expect(first.status == 5, "\(first.stdout)\n\(first.stderr)")
        let prom = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(prom.contains("smsync_last_run_exit_code 5"))
        #expect(prom.contains("# TYPE smsync_updates_pending gauge"))
        #expect(try world.envs() != before, "in place: the env files change")
        let pin = try String(
            contentsOf: world.root.appendingPathComponent("image/base/utils/sample-notebooks/examples-commit.txt"),
            encoding: .utf8)
        #expect(pin.trimmingCharacters(in: .whitespacesAndNewlines) == (await world.examples.ref("default")))
        let failed = await world.upstream.hooks
        #expect(!failed.isEmpty)
        let failedKernels = Set(failed.map(\.bodyText))

        // The receiver recovers: each failed trigger fires again, exactly once.
        await world.upstream.setHookStatus(200)
        let second = try await world.sync()
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        let afterRetry = await world.upstream.hooks.count
        #expect(afterRetry == failed.count + failedKernels.count)
        let third = try await world.sync()
        #expect(third.status == 0)
        #expect(await world.upstream.hooks.count == afterRetry, "nothing fires once the retry succeeded")
        await world.close()
    }

    /// The export of one kernel changes on the instance; the index (names only, or with digests) is rewritten
    /// by the exporter exactly as its form implies. Exactly one trigger fires, for that kernel, and the file is
    /// updated; the run after that costs only 304s and fires nothing.
    @Test(arguments: [false, true])
    func anExportChangeIsNeverMissed(indexWithDigests: Bool) async throws {
        let world = try await World.make(pullRequests: false)
        await world.upstream.setIndexWithDigests(indexWithDigests)
        let first = try await world.sync()
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let hooksBefore = await world.upstream.hooks.count
        let python3 = world.root.appendingPathComponent("image/base/utils/envs/python3.yml")
        #expect(try String(contentsOf: python3, encoding: .utf8).contains("seaborn=0.13.2"))

        let export = try String(contentsOf: Binary.fixture("demo/upstream/exports/python3.yml"), encoding: .utf8)
        await world.upstream.setExport(
            "python3.yml", export.replacingOccurrences(of: "seaborn=0.13.2", with: "seaborn=0.13.3"))
        let count = await world.server.requests.count
        let second = try await world.sync()
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        let newHooks = Array(await world.upstream.hooks.dropFirst(hooksBefore))
        #expect(newHooks.count == 1, "\(newHooks.map(\.bodyText))")
        let kernels = newHooks.compactMap { request -> [String]? in
            (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])?["kernels"] as? [String]
        }
        #expect(kernels == [["conda_python3"]])
        #expect(newHooks.first?.bodyText.contains("0.13.3") == true)
        #expect(try String(contentsOf: python3, encoding: .utf8).contains("seaborn=0.13.3"))
        let secondRun = Array(await world.server.requests.dropFirst(count))
        #expect(secondRun.contains { $0.path == "/exports/python3.yml" })

        // Nothing changed since: only conditional requests, each answered 304; no trigger.
        let quietStart = await world.server.requests.count
        let exportAnswers = await world.upstream.exportStatuses.count
        let third = try await world.sync()
        #expect(third.status == 0, "\(third.stdout)\n\(third.stderr)")
        let quiet = Array(await world.server.requests.dropFirst(quietStart))
        #expect(quiet.count == (indexWithDigests ? 4 : 6), "\(quiet.map(\.path))")
        #expect(quiet.allSatisfy { $0.method == "GET" && $0.headers["if-none-match"] != nil })
        let quietExports = Array(await world.upstream.exportStatuses.dropFirst(exportAnswers))
        #expect(quietExports == Array(repeating: 304, count: indexWithDigests ? 1 : 3))
        #expect(await world.upstream.hooks.count == hooksBefore + 1)
        await world.close()
    }

    @Test func diffReadsAnHTTPConfigurationAndASecondDiffCostsOnly304s() async throws {
        let world = try await World.make(pullRequests: false)
        let before = try world.envs()
        let first = try await world.run(["diff", "--format", "json"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        #expect(((report["summary"] as? [String: Int])?["updates"] ?? 0) > 0)
        let origins = try #require(report["source_origins"] as? [[String: String]])
        #expect(origins.map { $0["source"] } == ["env-export", "aws-docs", "distribution", "examples"])
        #expect(origins.allSatisfy { $0["origin"] == "fetched" }, "\(origins)")
        #expect(!first.stdout.contains("no source speaks"))

        let count = await world.server.requests.count
        let second = try await world.run(["diff"])
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        #expect(second.stdout.contains("not modified (304)"))
        #expect(second.stdout.contains("conda_tensorflow2_p310"))
        let secondRun = Array(await world.server.requests.dropFirst(count))
        #expect(secondRun.count == 6, "\(secondRun.map(\.path))")
        #expect(secondRun.allSatisfy { $0.method == "GET" && $0.headers["if-none-match"] != nil })
        #expect(try world.envs() == before, "diff writes nothing")
        let history = try await world.run(["history"])
        #expect(history.stdout.contains("no runs recorded yet"), "diff records no run")

        // apply on the same configuration edits the local files only.
        let apply = try await world.run(["apply"])
        #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
        #expect(try world.envs() != before)
        #expect(await world.upstream.hooks.isEmpty, "apply triggers nothing")
        await world.close()
    }

    @Test func aDiffAfterASyncDoesNotChangeWhatTheNextSyncDoes() async throws {
        let world = try await World.make(pullRequests: false)
        let first = try await world.sync()
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let hooks = await world.upstream.hooks.count
        let applied = try world.envs()

        await world.upstream.setDocs(version: "2.15.1", etag: "\"docs-2\"")
        let diff = try await world.run(["diff"])
        #expect(diff.status == 0, "\(diff.stdout)\n\(diff.stderr)")
        #expect(diff.stdout.contains("2.15.1"))
        #expect(diff.stdout.contains("fetched now"))
        #expect(try world.envs() == applied)
        #expect(await world.upstream.hooks.count == hooks)

        // The sync after it gets 304 for the page the diff fetched, yet applies the update and triggers once.
        let second = try await world.sync()
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        #expect(second.stdout.contains("tensorflow"), "\(second.stdout)")
        #expect(try world.envs() != applied)
        let newHooks = Array(await world.upstream.hooks.dropFirst(hooks))
        #expect(newHooks.count == 1)
        #expect(newHooks.first?.bodyText.contains("2.15.1") == true)
        await world.close()
    }

    @Test func offlineNeedsTheStateAndMakesNoRequest() async throws {
        let world = try await World.make(pullRequests: false)
        let refused = try await world.run(["diff", "--offline"])
        #expect(refused.status == 2, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stderr.contains("state database"))
        #expect(refused.stderr.contains("smsync sync"))
        #expect(await world.server.requests.isEmpty)

        let sync = try await world.sync(["--no-apply", "--no-trigger"])
        #expect(sync.status == 0, "\(sync.stdout)\n\(sync.stderr)")
        let count = await world.server.requests.count
        let offline = try await world.run(["diff", "--offline"])
        #expect(offline.status == 0, "\(offline.stdout)\n\(offline.stderr)")
        #expect(await world.server.requests.count == count, "no request at all")
        #expect(offline.stdout.contains("offline: as read"))
        #expect(offline.stdout.contains("by run 1"))
        #expect(offline.stdout.contains("conda_tensorflow2_p310"))
        let before = try world.envs()
        let applyOffline = try await world.run(["apply", "--offline", "--dry-run"])
        #expect(applyOffline.status == 0, "\(applyOffline.stdout)\n\(applyOffline.stderr)")
        #expect(applyOffline.stdout.contains("+++ b/"))
        #expect(await world.server.requests.count == count, "apply --offline makes no request either")
        #expect(try world.envs() == before)
        let online = try await world.run(["diff", "--format", "json"])
        let offlineJSON = try await world.run(["diff", "--offline", "--format", "json"])
        let updates = { (text: String) -> Int? in
            ((try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["summary"]
                as? [String: Int])?["updates"]
        }
        #expect(updates(offlineJSON.stdout) != nil)
        #expect(updates(offlineJSON.stdout) == updates(online.stdout), "the same releases, read offline")
        await world.close()
    }

    @Test func statusShowsEachSourceAndMaxAgeFailsWhenStale() async throws {
        let world = try await World.make(pullRequests: false)
        let metrics = world.root.appendingPathComponent("smsync.prom").path
        let sync = try await world.sync(["--no-trigger", "--metrics-file", metrics])
        #expect(sync.status == 0, "\(sync.stdout)\n\(sync.stderr)")
        let prom = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(prom.contains("# TYPE smsync_source_last_success_timestamp_seconds gauge"))
        #expect(prom.contains("smsync_source_last_success_timestamp_seconds{source=\"aws-docs\"} "))
        #expect(prom.contains("smsync_source_last_success_timestamp_seconds{source=\"examples\"} "))

        let fresh = try await world.run(["status", "--max-age", "24h"])
        #expect(fresh.status == 0, "\(fresh.stdout)\n\(fresh.stderr)")
        #expect(fresh.stdout.contains("LAST SUCCESS"))
        #expect(fresh.stdout.contains("LAST ERROR"))

        // The docs page breaks: its last error shows, and after a while it is stale while the others are not.
        await world.upstream.setLayoutBroken(true)
        let broken = try await world.sync(["--no-trigger"])
        #expect(broken.status == 3)
        try await Task.sleep(for: .milliseconds(1500))
        let status = try await world.run(["status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("failing"))
        let stale = try await world.run(["status", "--max-age", "1s"])
        #expect(stale.status == 1, "\(stale.stdout)\n\(stale.stderr)")
        #expect(stale.stderr.contains("stale: aws-docs"))
        #expect(stale.stderr.contains("last error"))
        let bad = try await world.run(["status", "--max-age", "soon"])
        #expect(bad.status == 2)
        await world.close()
    }

    @Test func retriesA500AndHonoursRetryAfter() async throws {
        let world = try await World.make(pullRequests: false)
        await world.upstream.setDocsFailures([
            .text(500, "oops"), TestReply(status: 429, headers: ["Retry-After": "1"]),
        ])
        let started = Date()
        let result = try await world.sync(["--no-trigger"])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(Date().timeIntervalSince(started) >= 1, "Retry-After: 1 was honoured")
        let docs = await world.server.requests.filter { $0.path == "/docs/nbi-al2023.html" }
        #expect(docs.count == 3)
        await world.close()
    }

    @Test func aHangingServerHitsTheDeadlineAndNothingIsWritten() async throws {
        let world = try await World.make(pullRequests: false, timeout: 1, retries: 0)
        await world.upstream.setDocsDelay(10)
        let before = try world.envs()
        let started = Date()
        let result = try await world.sync()
        #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
        #expect(Date().timeIntervalSince(started) < 9, "the overall deadline fired")
        #expect(try world.envs() == before)
        await world.close()
    }

    @Test func aTruncatedBodyIsAFailedSourceAndNothingIsWritten() async throws {
        let world = try await World.make(pullRequests: false, timeout: 3, retries: 1)
        // The server announces 5000 bytes, sends 100 and closes the connection: every attempt.
        let cut = TestReply(
            status: 200, headers: ["Content-Length": "5000", "Connection": "close", "Content-Type": "text/html"],
            body: Array(String(repeating: "<p>x</p>", count: 12).utf8).prefix(100).map { $0 })
        await world.upstream.setDocsFailures([cut, cut])
        let before = try world.envs()
        let result = try await world.sync(["--no-trigger"])
        #expect(result.status == 3, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("nbi-al2023.html"))
        #expect(try world.envs() == before)
        await world.close()
    }

    @Test func aChangedLayoutExitsThreeWritesNothingAndKeepsTheLastGoodState() async throws {
        let world = try await World.make(pullRequests: false)
        let first = try await world.sync(["--no-trigger"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        let good = try world.envs()
        await world.upstream.setDocs(version: "2.16.0", etag: "\"docs-3\"")
        await world.upstream.setLayoutBroken(true)
        let broken = try await world.sync(["--no-trigger"])
        #expect(broken.status == 3, "\(broken.stdout)\n\(broken.stderr)")
        #expect(broken.stderr.contains("aws-docs"))
        #expect(try world.envs() == good, "nothing written")
        await world.upstream.setLayoutBroken(false)
        let fixed = try await world.sync(["--no-trigger"])
        #expect(fixed.status == 0, "\(fixed.stdout)\n\(fixed.stderr)")
        #expect(try world.envs() != good, "the new upstream version is applied once the page reads again")
        await world.close()
    }

    @Test func concurrentRunsAreRefusedAndAKilledRunLeavesNothingTorn() async throws {
        let world = try await World.make(pullRequests: false)
        await world.upstream.setDocsDelay(3)
        let slow = try RunningBinary(["sync", "--config", world.config], environment: world.environment)
        // Wait until the slow run is polling (it holds the lock by then).
        for _ in 0..<300 where await world.server.requests.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
        }
        let second = try await world.sync()
        #expect(second.status == 4, "\(second.stdout)\n\(second.stderr)")
        #expect(second.stderr.contains("lock"))
        slow.kill(SIGKILL)
        _ = try await slow.wait(timeout: 10)
        await world.upstream.setDocsDelay(0)
        let after = try await world.sync(["--no-trigger"])
        #expect(after.status == 0, "\(after.stdout)\n\(after.stderr)")
        let history = try await Binary.runAsync(["history", "--config", world.config], environment: world.environment)
        #expect(history.status == 0)
        await world.close()
    }
}
