import Crypto
import Foundation
import Testing

@testable import SMSync
@testable import SMSyncRuntime
@testable import SMSyncTestSupport

@Suite("Rebuild triggers")
struct TriggerRunnerTests {
    static let secret = "whsec_Very-Secret-Value-42"

    let event = RebuildEvent(
        runID: "run-20260101-0001", kernels: ["conda_python3", "conda_pytorch_p310"],
        changes: [
            TriggerChange(kernel: "conda_python3", package: "numpy", manager: "conda", from: "1.26.4", to: "2.0.1"),
            TriggerChange(kernel: "conda_pytorch_p310", package: "boto3", manager: "pip", from: nil, to: "1.35.0"),
        ],
        changedFiles: ["envs/python3.yml", "envs/pytorch_p310.yml"], pullRequestURL: "https://github.test/o/r/pull/7")

    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-trigger-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func runner(_ environment: [String: String], timeout: Double = 60) -> TriggerRunner {
        TriggerRunner(
            environment: environment, http: PatientTransport(), commandTimeout: timeout,
            userAgent: "smsync/test")
    }

    // MARK: command

    @Test func aCommandSeesTheKernelsRunIDAndChangedFiles() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let out = folder + "/out.txt"
        let environment = ["PATH": "/usr/bin:/bin", "OUT": out]
        let script =
            #"printf '%s|%s|%s' "$SMSYNC_KERNELS" "$SMSYNC_RUN_ID" "$SMSYNC_CHANGED_FILES" > "$OUT"; echo done"#
        let target = RebuildTarget(
            kernels: nil, action: .command(["/bin/sh", "-c", script]), name: "local-build", env: ["OUT"])
        let outcome = try await runner(environment).fire(target, event: event)
        #expect(outcome.detail == "exit 0")
        #expect(outcome.output == "done")
        let written = try String(contentsOfFile: out, encoding: .utf8)
        #expect(written == "conda_python3,conda_pytorch_p310|run-20260101-0001|envs/python3.yml\nenvs/pytorch_p310.yml")
    }

    @Test func aCommandGetsAMinimalEnvironmentUnlessTheEntryListsMore() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let secretFile = folder + "/deploy-key"
        try "from-a-file-42\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": "/home/smsync", "LANG": "C.UTF-8", "TMPDIR": folder,
            "GITHUB_TOKEN": "ghp_inheritedTOKEN1234", "HOOK_SECRET": Self.secret,
            "AWS_SECRET_ACCESS_KEY": "aws-key-1234",
            "DEPLOY_KEY_FILE": secretFile, "UNRELATED": "x",
        ]
        func variables(_ target: RebuildTarget) async throws -> [String: String] {
            // The command prints its environment; the runner keeps its output (redacted) as the outcome.
            var runner = runner(environment)
            runner.failureLines = 100
            let outcome = try await runner.fire(target, event: event)
            var result: [String: String] = [:]
            for line in outcome.output.split(separator: "\n") {
                guard let equals = line.firstIndex(of: "=") else { continue }
                result[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            return result
        }
        let plain = try await variables(
            RebuildTarget(kernels: nil, action: .command(["/usr/bin/env"]), name: "print-env"))
        #expect(plain["GITHUB_TOKEN"] == nil)
        #expect(plain["HOOK_SECRET"] == nil)
        #expect(plain["AWS_SECRET_ACCESS_KEY"] == nil)
        #expect(plain["UNRELATED"] == nil)
        #expect(plain["DEPLOY_KEY_FILE"] == nil)
        #expect(plain["PATH"] == "/usr/bin:/bin")
        #expect(plain["HOME"] == "/home/smsync")
        #expect(plain["LANG"] == "C.UTF-8")
        #expect(plain["TMPDIR"] == folder)
        #expect(plain["SMSYNC_RUN_ID"] == "run-20260101-0001")
        #expect(
            Set(plain.keys).subtracting(["SMSYNC_CHANGED_FILES", "envs/pytorch_p310.yml"]) == [
                "PATH", "HOME", "LANG", "TMPDIR", "SMSYNC_KERNELS", "SMSYNC_RUN_ID",
            ])

        let listed = try await variables(
            RebuildTarget(
                kernels: nil, action: .command(["/usr/bin/env"]), name: "print-env",
                env: ["GITHUB_TOKEN", "HOOK_SECRET", "DEPLOY_KEY"]))
        // Present, and their values redacted from the kept output.
        #expect(listed["GITHUB_TOKEN"] == "<redacted>")
        #expect(listed["HOOK_SECRET"] == "<redacted>")
        #expect(listed["DEPLOY_KEY"] == "<redacted>", "a value read from a NAME_FILE is a secret")
        #expect(listed["AWS_SECRET_ACCESS_KEY"] == nil)
    }

    @Test func argumentsReachTheProgramUnchangedWithoutAShell() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tricky = "$(touch \(folder)/pwned); `id` | ; > x"
        let target = RebuildTarget(kernels: nil, action: .command(["/bin/echo", tricky]), name: "echo")
        let outcome = try await runner(["PATH": "/usr/bin:/bin"]).fire(target, event: event)
        #expect(outcome.output == tricky)
        #expect(!FileManager.default.fileExists(atPath: folder + "/pwned"))
    }

    @Test func aNonZeroExitFailsWithTheStatusAndTheEndOfStderrWithoutSecrets() async throws {
        let environment = ["PATH": "/usr/bin:/bin", "HOOK_SECRET": Self.secret, "GITHUB_TOKEN": "ghp_abcdefTOKEN"]
        let script =
            #"for i in $(seq 1 40); do echo "line $i" >&2; done; echo "token=$GITHUB_TOKEN secret=$HOOK_SECRET" >&2; exit 3"#
        let target = RebuildTarget(
            kernels: nil, action: .command(["/bin/sh", "-c", script]), name: "failing",
            env: ["GITHUB_TOKEN", "HOOK_SECRET"])
        let error = await #expect(throws: TriggerError.self) {
            try await runner(environment).fire(target, event: event)
        }
        let failure = try #require(error)
        #expect(failure.code == .command)
        #expect(failure.status == 3)
        #expect(failure.description.contains("exited with status 3"))
        #expect(failure.description.contains("line 40"))
        #expect(!failure.description.contains("line 5\n"), "only the last lines are kept")
        #expect(!failure.description.contains(Self.secret))
        #expect(!failure.description.contains("ghp_abcdefTOKEN"))
        #expect(failure.description.contains("<redacted>"))
    }

    @Test func aCommandPastItsDeadlineFails() async throws {
        let target = RebuildTarget(kernels: nil, action: .command(["/bin/sleep", "30"]), name: "slow")
        let error = await #expect(throws: TriggerError.self) {
            try await runner(["PATH": "/usr/bin:/bin"], timeout: 0.5).fire(target, event: event)
        }
        #expect(error?.code == .command)
        #expect(error?.description.contains("timed out") == true)
    }

    @Test func aMissingProgramFails() async throws {
        let target = RebuildTarget(kernels: nil, action: .command(["smsync-no-such-program"]), name: "missing")
        let error = await #expect(throws: TriggerError.self) {
            try await runner(["PATH": "/usr/bin:/bin"]).fire(target, event: event)
        }
        #expect(error?.description.contains("not found") == true)
    }

    // MARK: webhook

    @Test func aWebhookPostsTheEventSignedWithHMACSHA256() async throws {
        let server = try await ScriptedServer.start { request in
            // The receiver checks the signature with swift-crypto, as a real receiver would.
            guard let header = request.headers["x-smsync-signature"], header.hasPrefix("sha256="),
                let mac = Self.hexBytes(String(header.dropFirst(7))),
                HMAC<SHA256>.isValidAuthenticationCode(
                    mac, authenticating: request.body, using: SymmetricKey(data: Array(Self.secret.utf8)))
            else { return .text(401, "bad signature") }
            return .text(200, "accepted")
        }
        defer { Task { await server.stop() } }
        let target = RebuildTarget(
            kernels: nil, action: .webhook(url: server.base + "/hooks/rebuild", secretEnv: "HOOK_SECRET"), name: "hook")
        let outcome = try await runner(["HOOK_SECRET": Self.secret]).fire(target, event: event)
        #expect(outcome.detail == "HTTP 200")

        let request = try #require(await server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/hooks/rebuild")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["user-agent"] == "smsync/test")
        #expect(request.body == event.webhookBody)
        let body = try request.json()
        #expect(body["run_id"] as? String == "run-20260101-0001")
        #expect(body["kernels"] as? [String] == ["conda_python3", "conda_pytorch_p310"])
        #expect(body["pull_request_url"] as? String == "https://github.test/o/r/pull/7")
        let changes = try #require(body["changes"] as? [[String: Any]])
        #expect(changes.count == 2)
        #expect(changes[0]["package"] as? String == "numpy")
        #expect(changes[0]["from"] as? String == "1.26.4")
        #expect(changes[0]["to"] as? String == "2.0.1")
        #expect(changes[1]["manager"] as? String == "pip")
        #expect(changes[1]["from"] is NSNull)
        #expect(!request.bodyText.contains(Self.secret))
    }

    @Test func theSignatureMatchesAKnownVector() {
        // RFC 4231 test case 2.
        let signature = TriggerRunner.signature(body: Array("what do ya want for nothing?".utf8), secret: "Jefe")
        #expect(signature == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func withoutTheSecretVariableTheWebhookIsUnsigned() async throws {
        let server = try await ScriptedServer.start { _ in TestReply(status: 204) }
        defer { Task { await server.stop() } }
        let target = RebuildTarget(
            kernels: nil, action: .webhook(url: server.base + "/hook", secretEnv: "HOOK_SECRET"), name: "hook")
        _ = try await runner([:]).fire(target, event: event)
        #expect(await server.requests.first?.headers["x-smsync-signature"] == nil)
    }

    @Test func aWebhookAnsweringOutside2xxFailsWithoutLeakingTheSecret() async throws {
        let server = try await ScriptedServer.start { request in
            .text(500, "internal error; you sent \(request.headers["x-smsync-signature"] ?? "") with \(Self.secret)")
        }
        defer { Task { await server.stop() } }
        let target = RebuildTarget(
            kernels: nil, action: .webhook(url: server.base + "/hook", secretEnv: "SIGNING"), name: "hook")
        let error = await #expect(throws: TriggerError.self) {
            try await runner(["SIGNING": Self.secret]).fire(target, event: event)
        }
        let failure = try #require(error)
        #expect(failure.code == .webhook)
        #expect(failure.status == 500)
        #expect(failure.description.contains("internal error"))
        #expect(!failure.description.contains(Self.secret))
    }

    @Test func aWebhookReplyIsKeptShortEscapedAndWithoutTheURLsCredentials() async throws {
        let server = try await ScriptedServer.start { request in
            .text(
                500,
                "\u{1b}[31mboom\r\nauthorization: \(request.headers["authorization"] ?? "none")\n"
                    + "echo: \(request.headers["authorization"] ?? "none")\n" + String(repeating: "x", count: 10_000))
        }
        defer { Task { await server.stop() } }
        let password = "hook-pa55:word"
        let base = server.base.replacingOccurrences(of: "http://", with: "http://smsync:hook-pa55%3Aword@")
        let target = RebuildTarget(kernels: nil, action: .webhook(url: base + "/hook", secretEnv: nil), name: "hook")
        let error = await #expect(throws: TriggerError.self) { try await runner([:]).fire(target, event: event) }
        let failure = try #require(error)
        let sent = try #require(await server.requests.first?.headers["authorization"])
        #expect(sent.hasPrefix("Basic "), "the credentials were sent")
        #expect(failure.message.contains(#"\u{1b}[31mboom\r\n"#), "\(failure.message)")
        #expect(!failure.message.contains("\u{1b}") && !failure.message.contains("\r"))
        #expect(failure.message.utf8.count < TriggerRunner.replyLimit + 200)
        for form in [
            password, "hook-pa55%3Aword", String(sent.dropFirst(6)),
            Data("smsync:\(password)".utf8).base64EncodedString(),
        ] {
            #expect(!failure.message.contains(form), "\(form) in \(failure.message.prefix(300))")
        }
    }

    @Test func anUnreachableWebhookFails() async throws {
        let server = try await ScriptedServer.start { _ in TestReply(status: 200) }
        let url = server.base + "/hook"
        await server.stop()
        let target = RebuildTarget(kernels: nil, action: .webhook(url: url, secretEnv: nil), name: "hook")
        let error = await #expect(throws: TriggerError.self) { try await runner([:]).fire(target, event: event) }
        #expect(error?.code == .webhook)
    }

    @Test func credentialsInAWebhookURLAreHiddenInMessages() {
        #expect(TriggerRunner.withoutCredentials("https://user:pw@hooks.test/x?a=b") == "https://***@hooks.test/x?a=b")
        #expect(TriggerRunner.withoutCredentials("https://hooks.test/x@y") == "https://hooks.test/x@y")
    }

    // MARK: GitHub dispatch

    @Test func aRepositoryDispatchCarriesTheRunKernelsAndPullRequest() async throws {
        let fixture = try await GitHubFixture.start(repo: "octo/image")
        defer { Task { await fixture.server.stop() } }
        let target = RebuildTarget(
            kernels: nil, action: .repositoryDispatch(repo: "octo/image", eventType: "smsync-rebuild"), name: "gh")
        let outcome = try await runner(fixture.environment).fire(target, event: event)
        #expect(outcome.detail == "dispatched")
        let request = try #require(await fixture.server.requests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/repos/octo/image/dispatches")
        #expect(request.headers["authorization"] == "Bearer \(GitHubFixture.token)")
        #expect(request.headers["accept"] == "application/vnd.github+json")
        #expect(request.headers["x-github-api-version"] == "2022-11-28")
        let body = try request.json()
        #expect(body["event_type"] as? String == "smsync-rebuild")
        let payload = try #require(body["client_payload"] as? [String: Any])
        #expect(payload["run_id"] as? String == "run-20260101-0001")
        #expect(payload["kernels"] as? [String] == ["conda_python3", "conda_pytorch_p310"])
        #expect(payload["pull_request_url"] as? String == "https://github.test/o/r/pull/7")
    }

    @Test func aWorkflowDispatchSendsRefAndStringInputs() async throws {
        let fixture = try await GitHubFixture.start(repo: "octo/image")
        defer { Task { await fixture.server.stop() } }
        let target = RebuildTarget(
            kernels: ["conda_python3"],
            action: .workflowDispatch(repo: "octo/image", workflow: "rebuild.yml", ref: "main"), name: "wf")
        _ = try await runner(fixture.environment).fire(target, event: event)
        let request = try #require(await fixture.server.requests.first)
        #expect(request.path == "/repos/octo/image/actions/workflows/rebuild.yml/dispatches")
        let body = try request.json()
        #expect(body["ref"] as? String == "main")
        let inputs = try #require(body["inputs"] as? [String: String])
        #expect(inputs == ["kernels": "conda_python3,conda_pytorch_p310", "run_id": "run-20260101-0001"])
    }

    @Test func aDispatchWithoutATokenFailsBeforeSending() async throws {
        let fixture = try await GitHubFixture.start(repo: "octo/image")
        defer { Task { await fixture.server.stop() } }
        let target = RebuildTarget(
            kernels: nil, action: .repositoryDispatch(repo: "octo/image", eventType: "e"), name: "gh")
        let error = await #expect(throws: TriggerError.self) {
            try await runner(["GITHUB_API_URL": fixture.server.base]).fire(target, event: event)
        }
        #expect(error?.code == .configuration)
        #expect(error?.description.contains("GITHUB_TOKEN") == true)
        #expect(await fixture.server.requests.isEmpty)
    }

    @Test func aRefusedDispatchFailsWithGitHubsMessageAndNoToken() async throws {
        let fixture = try await GitHubFixture.start(repo: "octo/image")
        defer { Task { await fixture.server.stop() } }
        await fixture.fake.setOverride(
            .json(422, ["message": "Workflow does not have 'workflow_dispatch' trigger (\(GitHubFixture.token))"]))
        let target = RebuildTarget(
            kernels: nil, action: .workflowDispatch(repo: "octo/image", workflow: "build.yml", ref: "main"), name: "wf")
        let error = await #expect(throws: TriggerError.self) {
            try await runner(fixture.environment).fire(target, event: event)
        }
        #expect(error?.code == .dispatch)
        #expect(error?.status == 422)
        #expect(error?.description.contains("workflow_dispatch") == true)
        #expect(error?.description.contains("/repos/octo/image/actions/workflows/build.yml/dispatches") == true)
        #expect(error?.description.contains(GitHubFixture.token) == false)
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let byte = UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
            index += 2
        }
        return bytes
    }
}
