import Testing

@testable import SMSync

@Suite("Configuration")
struct ConfigurationTests {
    func load(_ name: String) throws -> Configuration {
        let url = TestPaths.fixture("config/\(name)")
        return try Configuration(text: try TestPaths.text(url), file: "conf/\(name)")
    }

    @Test func readsEveryKey() throws {
        let config = try load("full.yml")
        #expect(config.envsDirectory == "conf/base/utils/envs")
        #expect(config.explicitKernels.map(\.kernel) == ["conda_python3"])
        #expect(config.explicitKernels.map(\.file) == ["conf/base/utils/envs/python3.yml"])
        #expect(config.statePath == "conf/.smsync/state.db")
        #expect(config.sources.map(\.kind.rawValue) == ["env-export", "aws-docs", "aws-docs"])
        #expect(config.sources.map(\.name) == ["env-export", "aws-docs", "aws-docs#2"])
        #expect(config.sources[0].kernels == ["conda_python3"])
        #expect(config.localPath(of: config.sources[0]) == "/srv/exports/")
        #expect(config.localPath(of: config.sources[1]) == nil)
        #expect(config.localPath(of: config.sources[2]) == "conf/nbi-al2.html")
        #expect(config.policy.update == [.patch, .minor, .major])
        #expect(config.policy.ignore == ["python"])
        #expect(config.policy.downgrade)
        #expect(config.aliases == [["opencv", "opencv-python-headless"]])
        #expect(config.rebuild.count == 3)
        #expect(config.rebuild[0].action == .command(["make", "image"]))
        #expect(config.rebuild[0].kernels == ["conda_python3"])
        #expect(config.rebuild[1].action == .webhook(url: "https://hooks.example.com/build", secretEnv: "HOOK_SECRET"))
        #expect(config.rebuild[2].action == .repositoryDispatch(repo: "acme/image", eventType: "rebuild"))
        #expect(config.pullRequest.branchPrefix == "deps/")
        #expect(config.http.timeoutSeconds == 2)
        #expect(config.http.retries == 1)
    }

    @Test func theRunDeadlineDefaultsTo1800SecondsAndIsRead() throws {
        #expect(try Configuration(text: "envs:\n  dir: envs\n", file: "smsync.yml").syncDeadlineSeconds == 1800)
        let config = try Configuration(text: "envs:\n  dir: envs\nsync:\n  deadline_seconds: 2.5\n", file: "s.yml")
        #expect(config.syncDeadlineSeconds == 2.5)
    }

    @Test(arguments: ["0", "-5", "abc", "\"60\"", "700000", ".nan"])
    func aBadRunDeadlineNamesTheFileKeyAndLine(_ value: String) throws {
        let text = "envs:\n  dir: envs\nsync:\n  deadline_seconds: \(value)\n"
        let error = #expect(throws: ConfigError.self) { try Configuration(text: text, file: "conf/smsync.yml") }
        #expect(error?.keyPath == "sync.deadline_seconds")
        #expect(error?.line == 4)
        #expect(error?.description.contains("conf/smsync.yml") == true, "\(error?.description ?? "")")
    }

    @Test func aCommandEntryListsTheVariablesItIsGiven() throws {
        let text = """
            envs: {dir: envs}
            rebuild:
              - command: [make, image]
                env: [GITHUB_TOKEN, DEPLOY_KEY]
              - command: [make, docs]
            """
        let config = try Configuration(text: text, file: "smsync.yml")
        #expect(config.rebuild[0].env == ["GITHUB_TOKEN", "DEPLOY_KEY"])
        #expect(config.rebuild[1].env == [])
    }

    @Test(
        arguments: [
            ("    env: [GOOD, 9BAD]\n", "rebuild[0].env[1]", 5, "environment variable name"),
            ("    env: [\"A-B\"]\n", "rebuild[0].env[0]", 5, "environment variable name"),
            ("    env: [A, A]\n", "rebuild[0].env[1]", 5, "listed twice"),
            ("    env: A\n", "rebuild[0].env", 5, ""),
        ] as [(String, String, Int, String)])
    func aBadEnvListNamesTheFileLineAndValue(entry: String, keyPath: String, line: Int, fragment: String) throws {
        let text = "envs: {dir: envs}\nrebuild:\n  - command: [make]\n    name: build\n" + entry
        let error = #expect(throws: ConfigError.self) { try Configuration(text: text, file: "conf/smsync.yml") }
        #expect(error?.keyPath == keyPath)
        #expect(error?.line == line)
        #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("conf/smsync.yml") == true)
    }

    @Test func envOnAWebhookEntryIsRefused() throws {
        let text = "envs: {dir: envs}\nrebuild:\n  - webhook: {url: https://h.test/x}\n    env: [A]\n"
        let error = #expect(throws: ConfigError.self) { try Configuration(text: text, file: "smsync.yml") }
        #expect(error?.keyPath == "rebuild[0].env")
        #expect(error?.description.contains("command") == true)
    }

    @Test func defaultsWhenKeysAreAbsent() throws {
        let config = try Configuration(text: "envs:\n  dir: envs\n", file: "smsync.yml")
        #expect(config.policy == Policy.default)
        #expect(config.sources.isEmpty)
        #expect(config.pullRequest.branchPrefix == "smsync/")
        #expect(config.envsDirectory == "envs")
    }

    @Test(
        arguments: [
            ("unknown-key.yml", "sources[0].kernals", 6, "unknown key"),
            ("bad-kind.yml", "sources[0].kind", 4, "unknown source kind"),
            ("bad-type.yml", "policy.downgrade", 4, "true or false"),
            ("bad-update.yml", "policy.update[1]", 3, "unknown change kind"),
            ("no-envs.yml", "envs", nil, "envs.dir"),
        ] as [(String, String, Int?, String)])
    func errorsNameTheKeyPathAndLine(file: String, keyPath: String, line: Int?, fragment: String) throws {
        let error = #expect(throws: ConfigError.self) { try load(file) }
        #expect(error?.keyPath == keyPath)
        #expect(error?.line == line)
        #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(file) == true)
    }
}
