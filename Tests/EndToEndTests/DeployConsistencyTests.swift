import Foundation
import SMSync
import Testing

/// The deployment files under `deploy/` agree with each other and with the binary: one documented `smsync sync`
/// invocation everywhere, flags that `sync --help` knows, an example configuration smsync accepts, secrets each
/// deployment actually provides, and a notebook exporter whose output `upstream parse --kind env-export` reads.
@Suite("Deployment files")
struct DeployConsistencyTests {
    /// The invocation the schedulers run (systemd, cron, Kubernetes, ECS).
    static let documented = [
        "sync", "--config", "/etc/smsync/smsync.yml", "--log-format", "json", "--metrics-file",
        "/var/lib/smsync/smsync.prom",
    ]
    /// GitHub Actions runs in the checkout, with the repository's own smsync.yml and no metrics file.
    static let githubActions = ["sync", "--config", "smsync.yml", "--log-format", "json"]

    static func deployFile(_ relative: String) throws -> String {
        let url = Binary.packageRoot.appendingPathComponent("deploy").appendingPathComponent(relative)
        return try String(contentsOf: url, encoding: .utf8)
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The words after the `smsync` executable (a path ending in `/smsync`, or the bare name, followed by `sync`) on
    /// the first line for which `matches` holds, up to a shell redirection or operator.
    static func words(
        afterExecutableIn text: String, file: String, where matches: (String) -> Bool
    ) throws
        -> [String]
    {
        guard let line = text.split(separator: "\n").map(String.init).first(where: matches) else {
            throw Missing(description: "\(file): no line with the smsync command")
        }
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        // The executable is an `smsync` word followed by `sync` (a cron.d line also has the user `smsync`).
        let start = words.indices.dropLast().first { index in
            (words[index] == "smsync" || words[index].hasSuffix("/smsync")) && words[index + 1] == "sync"
        }
        guard let start else {
            throw Missing(description: "\(file): no smsync executable in \(line.debugDescription)")
        }
        let stops: Set<String> = [">>", ">", "2>&1", "|", "||", "&&", ";"]
        var result: [String] = []
        for word in words[(start + 1)...] {
            if stops.contains(word) || word.hasPrefix(">") { break }
            result.append(word)
        }
        return result
    }

    /// The JSON-style flow list (`["sync", "--config", …]`) on the first line that starts with `key`.
    static func flowList(after key: String, in text: String, file: String) throws -> [String] {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let line = lines.first(where: { $0.hasPrefix(key) && $0.contains("[") }),
            let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]")
        else {
            throw Missing(description: "\(file): no `\(key) [...]` list")
        }
        let json = Data(line[open...close].utf8)
        guard let list = try JSONSerialization.jsonObject(with: json) as? [String] else {
            throw Missing(description: "\(file): `\(key)` is not a list of strings")
        }
        return list
    }

    /// Every command line in the deployment files, by file.
    static func commandLines() throws -> [(file: String, words: [String], expected: [String])] {
        let unit = try deployFile("systemd/smsync.service")
        let cron = try deployFile("cron/smsync-cron")
        let cronJob = try deployFile("kubernetes/cronjob.yaml")
        let stack = try deployFile("aws/cloudformation.yaml")
        let workflow = try deployFile("github-actions/smsync.yml")
        return [
            (
                "systemd/smsync.service",
                try words(afterExecutableIn: unit, file: "smsync.service") { $0.hasPrefix("ExecStart=") },
                documented
            ),
            (
                "cron/smsync-cron",
                try words(afterExecutableIn: cron, file: "smsync-cron") {
                    $0.trimmingCharacters(in: .whitespaces).hasPrefix("exec smsync sync ")
                },
                documented
            ),
            ("kubernetes/cronjob.yaml", try flowList(after: "args:", in: cronJob, file: "cronjob.yaml"), documented),
            (
                "aws/cloudformation.yaml", try flowList(after: "Command:", in: stack, file: "cloudformation.yaml"),
                documented
            ),
            (
                "github-actions/smsync.yml",
                try words(afterExecutableIn: workflow, file: "smsync.yml") {
                    $0.trimmingCharacters(in: .whitespaces).hasPrefix("run: smsync sync")
                },
                githubActions
            ),
        ]
    }

    @Test("the unit, crontab, CronJob, task definition and workflow run the documented invocation")
    func commandLinesAgree() throws {
        let lines = try Self.commandLines()
        #expect(lines.count == 5)
        for line in lines {
            #expect(line.words == line.expected, "\(line.file) runs smsync \(line.words.joined(separator: " "))")
        }
        // The crontab runs the wrapper that holds the invocation, as the smsync user.
        let crontab = try Self.deployFile("cron/smsync.cron")
        let schedule = crontab.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains(" * * ") }
        #expect(schedule.map { $0.hasSuffix(" smsync /usr/local/bin/smsync-cron") } == [true])
        #expect(crontab.contains("\nMAILTO=\"\"\n"), "smsync.cron must not depend on local mail")
        // The image's default command is the same invocation without the metrics file, behind tini.
        let dockerfile = try Self.deployFile("container/Dockerfile")
        let command = try Self.flowList(after: "CMD", in: dockerfile, file: "Dockerfile")
        #expect(command == Array(Self.documented.prefix(5)))
        #expect(
            try Self.flowList(after: "ENTRYPOINT", in: dockerfile, file: "Dockerfile") == [
                "/usr/bin/tini", "--", "smsync",
            ])
        // ECS stops a hung run itself: its entry point wraps the image's smsync in `timeout`.
        let stack = try Self.deployFile("aws/cloudformation.yaml")
        #expect(
            stack.contains("EntryPoint: [\"timeout\", \"--kill-after=2m\", !Sub \"${MaxRunMinutes}m\", \"smsync\"]"))
    }

    @Test("in-place deployments refresh the same checkout, where the example configuration's env files live")
    func checkoutRefreshEverywhere() throws {
        let checkout = "/var/lib/smsync/image"
        let unit = try Self.deployFile("systemd/smsync.service")
        #expect(unit.contains("\nExecStartPre=/usr/local/bin/smsync-checkout\n"))
        #expect(unit.contains("\nEnvironment=SMSYNC_CHECKOUT_DIR=%S/smsync/image\n"))
        let wrapper = try Self.deployFile("cron/smsync-cron")
        let checkoutLine = try #require(wrapper.range(of: "    smsync-checkout || exit $?\n"))
        let syncLine = try #require(wrapper.range(of: "    exec smsync sync "))
        #expect(checkoutLine.upperBound <= syncLine.lowerBound, "smsync-cron must refresh the checkout before the run")
        let cronJob = try Self.deployFile("kubernetes/cronjob.yaml")
        #expect(cronJob.contains("command: [\"/usr/bin/tini\", \"--\", \"smsync-checkout\"]"))
        #expect(cronJob.contains("- name: SMSYNC_CHECKOUT_DIR\n                  value: \(checkout)\n"))
        let stack = try Self.deployFile("aws/cloudformation.yaml")
        #expect(stack.contains("{Name: SMSYNC_CHECKOUT_DIR, Value: \(checkout)}"))
        #expect(stack.contains("- {ContainerName: checkout, Condition: SUCCESS}"))
        let dockerfile = try Self.deployFile("container/Dockerfile")
        #expect(dockerfile.contains("COPY --chmod=0755 deploy/scripts/smsync-checkout /usr/local/bin/smsync-checkout"))
        let configuration = try Configuration(
            text: try Self.configMapConfiguration(), file: "/etc/smsync/smsync.yml")
        #expect(configuration.envsDirectory?.hasPrefix(checkout + "/") == true)
    }

    /// The exit codes in a `| code | meaning |` or `| exit | meaning | alert |` table, or an `EXIT CODES` list.
    static func exitCodes(in text: String, after marker: String) -> Set<Int> {
        guard let start = text.range(of: marker) else { return [] }
        var codes: Set<Int> = []
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropFirst() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { break }
            let first = trimmed.split(whereSeparator: { $0 == "|" || $0 == " " }).first.map(String.init) ?? ""
            if let code = Int(first) { codes.insert(code) }
        }
        return codes
    }

    @Test("every exit code `smsync sync --help` lists is in deploy/README.md's alert table, and each scheduler names 6")
    func exitCodesDocumented() async throws {
        let help = try await Binary.runAsync(["sync", "--help"])
        #expect(help.status == 0)
        let helpCodes = Self.exitCodes(in: help.stdout, after: "EXIT CODES")
        #expect(helpCodes.isSuperset(of: [0, 2, 3, 4, 5]), "sync --help lists \(helpCodes.sorted())")
        let readme = try Self.deployFile("README.md")
        let alertCodes = Self.exitCodes(in: readme, after: "| exit | meaning | alert |")
        #expect(alertCodes.isSuperset(of: helpCodes), "deploy/README.md lacks \(helpCodes.subtracting(alertCodes))")
        #expect(alertCodes.contains(6))
        let localStorage = try Regex("6 +local storage")
        for file in [
            "systemd/smsync.service", "cron/smsync.cron", "kubernetes/cronjob.yaml", "aws/cloudformation.yaml",
            "github-actions/smsync.yml",
        ] {
            let text = try Self.deployFile(file)
            #expect(text.contains(localStorage), "\(file) does not document exit code 6")
        }
        // Alert at once on 2, 5 and 6; 3 and 4 only when they repeat (through "no successful run").
        let stack = try Self.deployFile("aws/cloudformation.yaml")
        #expect(stack.contains("exitCode: [{anything-but: [0, 3, 4]}]"))
        #expect(stack.contains("TreatMissingData: breaching"))
        let cronJob = try Self.deployFile("kubernetes/cronjob.yaml")
        #expect(cronJob.contains("values: [2, 4, 6]"))
    }

    @Test("every flag the deployment files pass is one `smsync sync --help` documents")
    func flagsAreInSyncHelp() async throws {
        let flags = Set(try Self.commandLines().flatMap(\.words).filter { $0.hasPrefix("--") })
        #expect(flags == ["--config", "--log-format", "--metrics-file"])
        let help = try await Binary.runAsync(["sync", "--help"])
        #expect(help.status == 0, "smsync sync --help failed: \(help.stderr)")
        // An unknown subcommand's `--help` prints the top-level help: require the sync command's own usage.
        #expect(help.stdout.contains("USAGE: smsync sync"), "`smsync sync --help` is not the sync command's help")
        for flag in flags.sorted() {
            #expect(help.stdout.contains(flag), "`smsync sync --help` does not mention \(flag)")
        }
    }

    /// The `smsync.yml: |` block of the ConfigMap, dedented.
    static func configMapConfiguration() throws -> String {
        let lines = try deployFile("kubernetes/configmap.yaml").components(separatedBy: "\n")
        guard let start = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "smsync.yml: |" }) else {
            throw Missing(description: "configmap.yaml: no `smsync.yml: |` block")
        }
        let keyIndent = lines[start].prefix(while: { $0 == " " }).count
        var body: [String] = []
        for line in lines[(start + 1)...] {
            let indent = line.prefix(while: { $0 == " " }).count
            if !line.trimmingCharacters(in: .whitespaces).isEmpty && indent <= keyIndent { break }
            body.append(String(line.dropFirst(min(indent, keyIndent + 2))))
        }
        return body.joined(separator: "\n")
    }

    @Test("the ConfigMap's smsync.yml loads, and each deployment provides the secrets it names")
    func exampleConfigurationAndSecrets() throws {
        let configuration = try Configuration(
            text: try Self.configMapConfiguration(), file: "/etc/smsync/smsync.yml")
        #expect(
            configuration.sources.map(\.kind.rawValue) == [
                "env-export", "aws-docs", "distribution", "sdk-changelog", "examples",
            ])
        #expect(configuration.statePath == "/var/lib/smsync/state.db")
        #expect(configuration.envsDirectory == "/var/lib/smsync/image/base/utils/envs")
        let tokenEnv = try #require(configuration.pullRequest.github).tokenEnv
        var secretNames = [tokenEnv]
        for target in configuration.rebuild {
            if case .webhook(_, let secretEnv?) = target.action { secretNames.append(secretEnv) }
        }
        #expect(secretNames == ["GITHUB_TOKEN", "SMSYNC_WEBHOOK_SECRET"])

        let cronJob = try Self.deployFile("kubernetes/cronjob.yaml")
        let stack = try Self.deployFile("aws/cloudformation.yaml")
        let workflow = try Self.deployFile("github-actions/smsync.yml")
        let unit = try Self.deployFile("systemd/smsync.service")
        let cron = try Self.deployFile("cron/smsync.cron")
        for name in secretNames {
            // Kubernetes mounts the Secret as files: NAME_FILE, never the value in the environment.
            #expect(cronJob.contains("- name: \(name)_FILE\n"), "cronjob.yaml does not set \(name)_FILE")
            #expect(!cronJob.contains("- name: \(name)\n"), "cronjob.yaml puts \(name) in the environment")
            #expect(stack.contains("{Name: \(name), ValueFrom:"), "cloudformation.yaml does not pass \(name)")
            #expect(workflow.contains("\(name): ${{ secrets."), "the workflow does not pass \(name)")
        }
        // systemd and cron pass the token as a file (NAME_FILE), never its value.
        #expect(unit.contains("Environment=\(tokenEnv)_FILE=%d/github-token"))
        #expect(unit.contains("LoadCredential=github-token:/etc/smsync/github-token"))
        #expect(cron.contains("\n\(tokenEnv)_FILE=/etc/smsync/github-token\n"))
    }

    /// Runs `bash deploy/tests/lifecycle-test.sh --keep folder`, which exports through fake `conda` and `aws`.
    /// Waits with `Task.sleep`, so the script's run never holds a thread of the cooperative pool.
    static func runLifecycleTest(keepingIn folder: URL) async throws -> (status: Int32, output: String) {
        let log = folder.deletingLastPathComponent().appendingPathComponent("lifecycle-test.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "bash", Binary.packageRoot.appendingPathComponent("deploy/tests/lifecycle-test.sh").path, "--keep",
            folder.path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                throw Missing(description: "lifecycle-test.sh did not finish within 120 s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }

    @Test("the notebook lifecycle script's export folder parses as an env-export source")
    func lifecycleExportParses() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-deploy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("exports")
        let run = try await Self.runLifecycleTest(keepingIn: folder)
        #expect(run.status == 0, "lifecycle-test.sh failed:\n\(run.output)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(
            files == [
                "environment_list.txt", "exported_at.txt", "python3.yml", "python3_pip.txt", "pytorch_p310.yml",
                "pytorch_p310_pip.txt",
            ])

        // Each index line is `<env> <digest>`, the digest being the one smsync's reader gives that export, so the
        // index changes (and the conditional request sees it) whenever any export does.
        let index = try String(contentsOf: folder.appendingPathComponent("environment_list.txt"), encoding: .utf8)
        #expect(
            index.split(separator: "\n").compactMap { $0.split(separator: " ").first } == ["python3", "pytorch_p310"])
        for line in index.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            #expect(fields.count == 2, "index line \(line.debugDescription)")
            guard fields.count == 2 else { continue }
            let export = try Data(contentsOf: folder.appendingPathComponent("\(fields[0]).yml"))
            let freeze = try Data(contentsOf: folder.appendingPathComponent("\(fields[0])_pip.txt"))
            let release = try EnvExportReader.read(
                export: Array(export), exportLocation: "\(fields[0]).yml", freeze: Array(freeze))
            #expect(fields[1] == release.release, "\(fields[0]): index digest \(fields[1]) is not the export's")
        }

        let parsed = try await Binary.runAsync(["upstream", "parse", "--kind", "env-export", folder.path])
        #expect(parsed.status == 0, "upstream parse failed: \(parsed.stderr)")
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: Any])
        let kernels = try #require(json["kernels"] as? [[String: Any]])
        #expect(kernels.compactMap { $0["kernel"] as? String } == ["conda_python3", "conda_pytorch_p310"])
        let python3 = try #require(kernels.first { $0["kernel"] as? String == "conda_python3" })
        let packages = try #require(python3["packages"] as? [[String: Any]])
        let versions = Dictionary(
            packages.compactMap { package -> (String, String)? in
                guard let name = package["name"] as? String, let version = package["version"] as? String else {
                    return nil
                }
                return (name, version)
            }, uniquingKeysWith: { first, _ in first })
        // From the export (`--no-builds`), and boto3 from the pip freeze, which is newer than the export's pip block.
        #expect(versions["numpy"] == "1.26.4")
        #expect(versions["python"] == "3.10.15")
        #expect(versions["boto3"] == "1.35.40")
    }
}
