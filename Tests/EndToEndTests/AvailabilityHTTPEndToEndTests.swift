import Foundation
import GRDB
import Testing

@testable import SMSyncTestSupport

/// `availability:` through the built binary against conda channels and a PEP 691 index served over HTTP on
/// 127.0.0.1: sharded and plain (`.zst` and JSON) channels, channel priority, `channel::pkg`, a private channel
/// with a token, yanked files and `requires-python`, and the pull-request body.
@Suite("Availability (built binary, loopback channels and index)", .serialized)
struct AvailabilityHTTPEndToEndTests {
    static let token = "chan-Tok3n-e2e-5d1c9a"

    /// Upstream exports served as an `env-export` source.
    actor Exports {
        var files: [String: String] = [:]

        func set(_ name: String, _ text: String) { files[name] = text }

        func respond(_ request: RecordedRequest) -> TestReply {
            let name = String(request.path.dropFirst("/exports/".count))
            guard let text = files[name] else { return .text(404, "no such key") }
            return TestReply(status: 200, headers: ["Content-Type": "text/plain"], body: Array(text.utf8))
        }
    }

    struct World {
        let root: URL
        let server: ScriptedServer
        let channels: FakeCondaChannels
        let exports: Exports
        let github: GitBackedGitHub?
        var config: String { root.appendingPathComponent("smsync.yml").path }
        var envs: URL { root.appendingPathComponent("envs") }
        var state: URL { root.appendingPathComponent(".smsync/state.db") }
        var cache: URL { root.appendingPathComponent("cache") }
        var environment: [String: String] = ["NO_COLOR": "1"]

        static func make(github repo: String? = nil) async throws -> World {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "smsync-avail-http-\(UUID().uuidString)")
            try FileManager.default.createDirectory(
                at: root.appendingPathComponent("envs"), withIntermediateDirectories: true)
            let channels = FakeCondaChannels()
            let exports = Exports()
            let github = try repo.map {
                try GitBackedGitHub.create(repo: $0, at: root.appendingPathComponent("origin.git"))
            }
            let server = try await ScriptedServer.start { request in
                if request.path.hasPrefix("/api/"), let github {
                    var inner = request
                    inner.path = String(request.path.dropFirst("/api".count))
                    return await github.respond(inner)
                }
                if request.path.hasPrefix("/exports/") { return await exports.respond(request) }
                return await channels.respond(request) ?? .text(404, "not found")
            }
            var world = World(root: root, server: server, channels: channels, exports: exports, github: github)
            world.environment["XDG_CACHE_HOME"] = root.appendingPathComponent("xdg").path
            if github != nil {
                world.environment["GITHUB_API_URL"] = server.base + "/api"
                world.environment["GITHUB_TOKEN"] = "ghp_availabilityE2E0123456789"
            }
            return world
        }

        /// Writes `smsync.yml`: the loopback channels under `channel_alias`, the loopback index, and `extra`
        /// (indented YAML) inside `availability:`.
        func configure(priority: String = "strict", extra: String = "", pullRequest: Bool = false) throws {
            let pullRequestBlock =
                pullRequest ? "pull_request:\n  github: {repo: acme/image, base: main, token_env: GITHUB_TOKEN}\n" : ""
            let config = """
                envs:
                  dir: envs
                state: .smsync/state.db
                sources:
                  - kind: env-export
                    url: \(server.base)/exports/
                policy:
                  update: [patch, minor]
                http: {timeout_seconds: 60, connect_timeout_seconds: 30, retries: 0}
                availability:
                  enabled: true
                  platforms: [linux-64]
                  channel_priority: \(priority)
                  channel_alias: \(server.base)
                  defaults: []
                  pip_index: \(server.base)/simple
                  cache_dir: \(cache.path)
                \(extra)
                \(pullRequestBlock)
                """
            try config.write(toFile: self.config, atomically: true, encoding: .utf8)
        }

        /// An env file and its upstream export.
        func kernel(_ name: String, local: String, upstream: String) async throws {
            try local.write(to: envs.appendingPathComponent("\(name).yml"), atomically: true, encoding: .utf8)
            await exports.set("\(name).yml", upstream)
        }

        func kernels(_ names: [String]) async {
            await exports.set("environment_list.txt", names.joined(separator: "\n") + "\n")
        }

        func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Binary.Result {
            var environment = self.environment
            for (key, value) in extra { environment[key] = value }
            return try await Binary.runAsync(
                arguments + ["--config", config], environment: environment, timeout: 120)
        }

        /// `diff --format json`: each kernel's changes by package.
        func diffJSON(environment extra: [String: String] = [:]) async throws -> [String: [String: Any]] {
            let result = try await run(["diff", "--format", "json"], environment: extra)
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
            var changes: [String: [String: Any]] = [:]
            for kernel in try #require(report["kernels"] as? [[String: Any]]) {
                for change in try #require(kernel["changes"] as? [[String: Any]]) {
                    if let package = change["package"] as? String { changes[package] = change }
                }
            }
            return changes
        }

        func env(_ name: String) throws -> String {
            try String(contentsOf: envs.appendingPathComponent("\(name).yml"), encoding: .utf8)
        }

        /// Requests under `prefix` since the log was last looked at through this call.
        func requests(under prefix: String) async -> [RecordedRequest] {
            await server.requests.filter { $0.path.hasPrefix(prefix) }
        }

        /// Runs `body`, then stops the server and removes the folder, also when `body` throws.
        func closing(_ body: () async throws -> Void) async throws {
            do {
                try await body()
            } catch {
                await close()
                throw error
            }
            await close()
        }

        func close() async {
            await server.stop()
            try? FileManager.default.removeItem(at: root)
        }
    }

    static let python3Local = """
        name: python3
        channels:
          - conda-forge
          - nodefaults
        dependencies:
          - python=3.10.15
          - numpy=2.1.1
          - pandas=2.2.1

        """

    static let python3Upstream = """
        name: python3
        channels:
          - conda-forge
        dependencies:
          - numpy=2.1.3=py310h0abc123_0
          - pandas=2.2.3=py310h0abc123_1
          - python=3.10.15=h4a871b0_2_cpython
        prefix: /home/ec2-user/anaconda3/envs/python3

        """

    /// conda-forge with numpy 2.1.3 for Python 3.11 only, and pandas 2.2.3 for 3.10.
    static let forge: [FakeCondaRecord] = [
        .cpython("numpy", "2.1.1", python: 10),
        .cpython("numpy", "2.1.3", python: 11),
        .cpython("pandas", "2.2.1", python: 10),
        .cpython("pandas", "2.2.3", python: 10, buildNumber: 1),
        FakeCondaRecord(name: "python", version: "3.10.15", build: "h4a871b0_2_cpython", buildNumber: 2),
        FakeCondaRecord(name: "tzdata", version: "2024b", build: "hc8b5060_0", subdir: "noarch"),
    ]

    // MARK: 1. Sharded channel: held, then released; a rerun costs one conditional request per subdir.

    @Test func shardedChannelHoldsAnUpdateThenReleasesItWhenTheShardIndexChanges() async throws {
        let world = try await World.make()
        try await world.closing {
            try world.configure()
            await world.channels.setChannel("conda-forge", layout: .sharded, records: Self.forge)
            try await world.kernel("python3", local: Self.python3Local, upstream: Self.python3Upstream)
            await world.kernels(["python3"])

            let changes = try await world.diffJSON()
            let numpy = try #require(changes["numpy"])
            #expect(numpy["action"] as? String == "unavailable")
            let reason = try #require(numpy["reason"] as? String)
            #expect(reason.contains("numpy 2.1.3: none for linux-64/py310 on conda-forge"), "\(reason)")
            #expect(reason.contains("python >=3.11,<3.12.0a0"), "\(reason)")
            let pandas = try #require(changes["pandas"])
            #expect(pandas["action"] as? String == "update")
            let from = try #require(pandas["availability"] as? [String: Any])
            #expect(from["channel"] as? String == "conda-forge")
            #expect(from["subdir"] as? String == "linux-64")
            #expect(from["build"] as? String == "py310h0abc123_1")
            // The first run: per subdir the shard index, then only the shards of the names checked.
            let firstPaths = await world.requests(under: "/conda-forge/").map(\.path).sorted()
            #expect(firstPaths.filter { $0.hasSuffix("repodata_shards.msgpack.zst") }.count == 2, "\(firstPaths)")
            #expect(firstPaths.filter { $0.contains("/shards/") }.count == 2, "numpy and pandas only: \(firstPaths)")
            #expect(!firstPaths.contains { $0.hasSuffix("repodata.json") || $0.hasSuffix("repodata.json.zst") })

            let table = try await world.run(["diff"])
            #expect(table.status == 0, "\(table.stderr)")
            #expect(table.stdout.contains("unavailable since 20"), "\(table.stdout)")
            #expect(table.stdout.contains("(numpy 2.1.3: none for linux-64/py310"), "\(table.stdout)")
            #expect(table.stdout.contains("conda-forge linux-64 py310h0abc123_1"), "\(table.stdout)")
            let markdown = try await world.run(["diff", "--format", "markdown"])
            #expect(markdown.status == 0, "\(markdown.stderr)")
            #expect(markdown.stdout.contains("1 not installable yet (held)"), "\(markdown.stdout)")
            #expect(markdown.stdout.contains("numpy 2.1.3: none for linux-64/py310"), "\(markdown.stdout)")
            #expect(markdown.stdout.contains("conda-forge linux-64 py310h0abc123_1"), "\(markdown.stdout)")

            // The cache is where `cache_dir` says, not under `XDG_CACHE_HOME`.
            #expect(FileManager.default.fileExists(atPath: world.cache.path + "/availability"))
            #expect(
                !FileManager.default.fileExists(
                    atPath: world.root.appendingPathComponent("xdg/smsync/availability").path))

            let first = try await world.run(["sync"])
            #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
            let afterFirst = try world.env("python3")
            #expect(afterFirst.contains("pandas=2.2.3"))
            #expect(afterFirst.contains("numpy=2.1.1"), "the held update is not written")

            // A rerun with nothing new: one conditional request per subdir (linux-64, noarch), both answered 304.
            let before = await world.requests(under: "/conda-forge/").count
            let second = try await world.run(["sync"])
            #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
            #expect(try world.env("python3") == afterFirst)
            let rerun = Array(await world.requests(under: "/conda-forge/").dropFirst(before))
            #expect(
                rerun.map(\.path).sorted() == [
                    "/conda-forge/linux-64/repodata_shards.msgpack.zst",
                    "/conda-forge/noarch/repodata_shards.msgpack.zst",
                ], "\(rerun.map(\.path))")
            #expect(rerun.allSatisfy { $0.headers["if-none-match"] != nil }, "every request is conditional")

            // The channel gains numpy 2.1.3 for Python 3.10: a new shard index; the next sync applies it.
            await world.channels.addRecords("conda-forge", [.cpython("numpy", "2.1.3", python: 10, buildNumber: 0)])
            let released = await world.requests(under: "/conda-forge/").count
            let third = try await world.run(["sync"])
            #expect(third.status == 0, "\(third.stdout)\n\(third.stderr)")
            #expect(try world.env("python3").contains("numpy=2.1.3"))
            let afterRelease = Array(await world.requests(under: "/conda-forge/").dropFirst(released)).map(\.path)
            #expect(
                afterRelease.filter { $0.contains("/shards/") }.count == 1, "only numpy's new shard: \(afterRelease)")
            let done = try await world.diffJSON()
            #expect(done["numpy"]?["action"] as? String == "same", "numpy is up to date: \(done["numpy"] ?? [:])")
        }
    }

    // MARK: 2 and 3. Plain channels (JSON and .zst): strict vs flexible priority; `channel::pkg`.

    static let mlLocal = """
        name: ml
        channels:
          - first
          - second
          - nodefaults
        dependencies:
          - python=3.10.15
          - scipy=1.14.0
          - first::xgboost=2.1.0
          - second::lightgbm=4.4.0

        """

    static let mlUpstream = """
        name: ml
        channels:
          - conda-forge
        dependencies:
          - python=3.10.15=h4a871b0_2_cpython
          - scipy=1.14.1=py310h0abc123_0
          - xgboost=2.1.1=py310h0abc123_0
          - lightgbm=4.5.0=py310h0abc123_0
        prefix: /home/ec2-user/anaconda3/envs/ml

        """

    func plainWorld(priority: String) async throws -> World {
        let world = try await World.make()
        try world.configure(priority: priority)
        // `first` (repodata.json only) has scipy but not 1.14.1, and lightgbm 4.4.0; no xgboost at all.
        await world.channels.setChannel(
            "first", layout: .json,
            records: [
                .cpython("scipy", "1.14.0", python: 10), .cpython("lightgbm", "4.4.0", python: 10),
            ])
        // `second` (repodata.json.zst) has everything.
        await world.channels.setChannel(
            "second", layout: .zst,
            records: [
                .cpython("scipy", "1.14.1", python: 10), .cpython("xgboost", "2.1.1", python: 10),
                .cpython("lightgbm", "4.5.0", python: 10),
            ])
        try await world.kernel("ml", local: Self.mlLocal, upstream: Self.mlUpstream)
        await world.kernels(["ml"])
        return world
    }

    @Test func strictPriorityTheFirstChannelWithThePackageDecides() async throws {
        let world = try await plainWorld(priority: "strict")
        try await world.closing {
            let changes = try await world.diffJSON()
            let scipy = try #require(changes["scipy"])
            #expect(scipy["action"] as? String == "unavailable", "first has scipy, so second is not asked: \(scipy)")
            let reason = try #require(scipy["reason"] as? String)
            #expect(reason.contains("strict channel priority: first decides; second has it"), "\(reason)")
            // `first::xgboost`: only `first`, which has no xgboost, even though `second` has 2.1.1.
            let xgboost = try #require(changes["xgboost"])
            #expect(xgboost["action"] as? String == "unavailable", "\(xgboost)")
            #expect((xgboost["reason"] as? String)?.contains("looked in first for linux-64") == true, "\(xgboost)")
            // `second::lightgbm`: only `second`, though `first` (earlier, without 4.5.0) has lightgbm.
            let lightgbm = try #require(changes["lightgbm"])
            #expect(lightgbm["action"] as? String == "update", "\(lightgbm)")
            let from = try #require(lightgbm["availability"] as? [String: Any])
            #expect(from["channel"] as? String == "second")
            #expect(from["build"] as? String == "py310h0abc123_0")

            // Which file each plain channel serves is remembered: the rerun costs one conditional request per
            // channel and subdir.
            let paths = await world.requests(under: "/").map(\.path)
            #expect(paths.contains("/first/linux-64/repodata.json"), "\(paths)")
            #expect(paths.contains("/second/linux-64/repodata.json.zst"), "\(paths)")
            let before = await world.server.requests.count
            _ = try await world.diffJSON()
            let rerun = Array(await world.server.requests.dropFirst(before)).filter { !$0.path.hasPrefix("/exports/") }
            #expect(
                rerun.map(\.path).sorted() == [
                    "/first/linux-64/repodata.json", "/first/noarch/repodata.json",
                    "/second/linux-64/repodata.json.zst",
                    "/second/noarch/repodata.json.zst",
                ], "\(rerun.map(\.path))")
            #expect(rerun.allSatisfy { $0.headers["if-none-match"] != nil })

            let sync = try await world.run(["sync"])
            #expect(sync.status == 0, "\(sync.stdout)\n\(sync.stderr)")
            let env = try world.env("ml")
            #expect(env.contains("second::lightgbm=4.5.0"), "\(env)")
            #expect(env.contains("scipy=1.14.0") && env.contains("first::xgboost=2.1.0"), "\(env)")
        }
    }

    @Test func flexiblePriorityTakesALaterChannelButChannelPackageStillUsesItsOwn() async throws {
        let world = try await plainWorld(priority: "flexible")
        try await world.closing {
            let changes = try await world.diffJSON()
            let scipy = try #require(changes["scipy"])
            #expect(scipy["action"] as? String == "update", "\(scipy)")
            let from = try #require(scipy["availability"] as? [String: Any])
            #expect(from["channel"] as? String == "second")
            #expect(from["subdir"] as? String == "linux-64")
            let xgboost = try #require(changes["xgboost"])
            #expect(xgboost["action"] as? String == "unavailable", "`first::` is looked up in first only: \(xgboost)")
            #expect((xgboost["reason"] as? String)?.contains("first") == true, "\(xgboost)")
            #expect(changes["lightgbm"]?["action"] as? String == "update")
        }
    }

    // MARK: 4. A private channel with a token from `NAME_FILE`, which never leaks.

    @Test func aPrivateChannelWithATokenFileWorksAndTheTokenLeaksNowhere() async throws {
        let world = try await World.make()
        try await world.closing {
            let tokenFile = world.root.appendingPathComponent("private-token")
            try (Self.token + "\n").write(to: tokenFile, atomically: true, encoding: .utf8)
            try world.configure(
                extra: """
                      channels:
                        - url: \(world.server.base)/private
                          token_env: PRIVATE_CHANNEL_TOKEN
                    """)
            await world.channels.setChannel(
                "private", layout: .sharded,
                records: [
                    .cpython("internal-lib", "1.0.0", python: 10), .cpython("internal-lib", "1.1.0", python: 10),
                ],
                token: Self.token)
            await world.channels.setChannel("conda-forge", layout: .zst, records: Self.forge)
            try await world.kernel(
                "internal",
                local: """
                    name: internal
                    channels:
                      - \(world.server.base)/private
                      - conda-forge
                      - nodefaults
                    dependencies:
                      - python=3.10.15
                      - internal-lib=1.0.0

                    """,
                upstream: """
                    name: internal
                    channels:
                      - conda-forge
                    dependencies:
                      - internal-lib=1.1.0=py310h0abc123_0
                      - python=3.10.15=h4a871b0_2_cpython

                    """)
            await world.kernels(["internal"])
            let secret = ["PRIVATE_CHANNEL_TOKEN_FILE": tokenFile.path]

            var output = ""
            let changes = try await world.diffJSON(environment: secret)
            let lib = try #require(changes["internal-lib"])
            #expect(lib["action"] as? String == "update", "\(lib)")
            #expect((lib["availability"] as? [String: Any])?["build"] as? String == "py310h0abc123_0")
            // A wrong token: the check fails (exit 3), and neither token shows.
            let wrongFile = world.root.appendingPathComponent("wrong-token")
            try "wrong-Tok3n-e2e-77\n".write(to: wrongFile, atomically: true, encoding: .utf8)
            let wrong = try await world.run(
                ["diff", "--format", "json"], environment: ["PRIVATE_CHANNEL_TOKEN_FILE": wrongFile.path])
            #expect(wrong.status == 3, "\(wrong.stdout)\n\(wrong.stderr)")
            #expect(wrong.stdout.contains("could not check"), "\(wrong.stdout)")
            #expect(!(wrong.stdout + wrong.stderr).contains("wrong-Tok3n-e2e-77"))
            output += wrong.stdout + wrong.stderr

            for arguments in [["diff"], ["diff", "--format", "markdown"], ["sync", "--log-format", "json"], ["sync"]] {
                let result = try await world.run(arguments, environment: secret)
                #expect(result.status == 0, "\(arguments): \(result.stdout)\n\(result.stderr)")
                output += result.stdout + result.stderr
            }
            #expect(try world.env("internal").contains("internal-lib=1.1.0"))
            let privateRequests = await world.requests(under: "/private/")
            #expect(!privateRequests.isEmpty)
            #expect(privateRequests.contains { $0.headers["authorization"] == "Bearer \(Self.token)" })
            #expect(
                privateRequests.allSatisfy {
                    ["Bearer \(Self.token)", "Bearer wrong-Tok3n-e2e-77"].contains($0.headers["authorization"])
                }, "every request to the private channel carries a token")
            #expect(
                await world.requests(under: "/conda-forge/").allSatisfy { $0.headers["authorization"] == nil },
                "the token goes to its channel only")

            #expect(!output.contains(Self.token), "the token is not printed")
            #expect(!output.contains("Tok3n"), "no part of a token is printed")
            var files = [world.state.path, world.state.path + "-wal", world.state.path + "-shm"]
            let cache = world.cache.path
            let cached = try #require(FileManager.default.enumerator(atPath: cache))
            var cacheFiles = 0
            while let relative = cached.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: cache + "/" + relative, isDirectory: &isDirectory),
                    !isDirectory.boolValue
                {
                    files.append(cache + "/" + relative)
                    cacheFiles += 1
                }
            }
            #expect(cacheFiles > 2, "the cache is where configured")
            for file in files where FileManager.default.fileExists(atPath: file) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(bytes.range(of: Data(Self.token.utf8)) == nil, "\(file) holds the token")
                #expect(bytes.range(of: Data("Tok3n".utf8)) == nil, "\(file) holds part of a token")
            }
            #expect(FileManager.default.fileExists(atPath: world.state.path))
        }
    }

    // MARK: 5. PEP 691 index: yanked files and requires-python.

    @Test func pipUpdatesAreCheckedAgainstYankedFilesAndRequiresPython() async throws {
        let world = try await World.make()
        try await world.closing {
            try world.configure()
            await world.channels.setChannel("conda-forge", layout: .json, records: Self.forge)
            await world.channels.setProject(
                "requests",
                files: [
                    FakeIndexFile(filename: "requests-2.31.0-py3-none-any.whl", requiresPython: ">=3.7"),
                    FakeIndexFile(
                        filename: "requests-2.32.0-py3-none-any.whl", requiresPython: ">=3.8",
                        yanked: "Yanked due to conflicts with CVE-2024-35195 mitigation"),
                    FakeIndexFile(
                        filename: "requests-2.32.0.tar.gz", requiresPython: ">=3.8",
                        yanked: "Yanked due to conflicts with CVE-2024-35195 mitigation"),
                ])
            await world.channels.setProject(
                "torch",
                files: [
                    FakeIndexFile(filename: "torch-2.4.0-cp310-cp310-manylinux1_x86_64.whl", requiresPython: ">=3.8"),
                    FakeIndexFile(filename: "torch-2.5.0-cp311-cp311-manylinux1_x86_64.whl", requiresPython: ">=3.11"),
                    FakeIndexFile(filename: "torch-2.5.0.tar.gz", requiresPython: ">=3.11"),
                ])
            await world.channels.setProject(
                "rich",
                files: [
                    FakeIndexFile(filename: "rich-13.7.0-py3-none-any.whl", requiresPython: ">=3.7.0"),
                    FakeIndexFile(filename: "rich-13.9.4-py3-none-any.whl", requiresPython: ">=3.8.0"),
                    FakeIndexFile(filename: "rich-13.9.4.tar.gz", requiresPython: ">=3.8.0"),
                ])
            try await world.kernel(
                "python3",
                local: """
                    name: python3
                    channels:
                      - conda-forge
                      - nodefaults
                    dependencies:
                      - python=3.10.15
                      - pip
                      - pip:
                        - requests==2.31.0
                        - torch==2.4.0
                        - rich==13.7.0

                    """,
                upstream: """
                    name: python3
                    channels:
                      - conda-forge
                    dependencies:
                      - python=3.10.15=h4a871b0_2_cpython
                      - pip:
                        - requests==2.32.0
                        - torch==2.5.0
                        - rich==13.9.4

                    """)
            await world.kernels(["python3"])

            let changes = try await world.diffJSON()
            let requests = try #require(changes["requests"])
            #expect(requests["action"] as? String == "unavailable", "\(requests)")
            let requestsReason = try #require(requests["reason"] as? String)
            #expect(requestsReason.contains("yanked"), "\(requestsReason)")
            let torch = try #require(changes["torch"])
            #expect(torch["action"] as? String == "unavailable", "\(torch)")
            let torchReason = try #require(torch["reason"] as? String)
            #expect(torchReason.contains("Python 3.10") && torchReason.contains(">=3.11"), "\(torchReason)")
            let rich = try #require(changes["rich"])
            #expect(rich["action"] as? String == "update", "\(rich)")
            let from = try #require(rich["availability"] as? [String: Any])
            #expect(from["file"] as? String == "rich-13.9.4-py3-none-any.whl", "\(from)")
            let pages = await world.requests(under: "/simple/")
            #expect(pages.map(\.path).sorted() == ["/simple/requests", "/simple/rich", "/simple/torch"], "\(pages)")
            #expect(pages.allSatisfy { $0.headers["accept"] == "application/vnd.pypi.simple.v1+json" })

            let sync = try await world.run(["sync"])
            #expect(sync.status == 0, "\(sync.stdout)\n\(sync.stderr)")
            let env = try world.env("python3")
            #expect(env.contains("rich==13.9.4"))
            #expect(env.contains("requests==2.31.0") && env.contains("torch==2.4.0"), "\(env)")
        }
    }

    // MARK: 6. The pull-request body: where each update comes from, and what is held.

    @Test func thePullRequestBodyShowsWhereEachUpdateComesFromAndWhatIsHeld() async throws {
        let world = try await World.make(github: "acme/image")
        try await world.closing {
            let github = try #require(world.github)
            // The repository on "GitHub" holds the env file; the deployment folder has none.
            let seed = world.root.appendingPathComponent("seed")
            try GitBackedGitHub.runGit(["clone", "--quiet", github.gitDirectory.path, seed.path], in: world.root)
            try FileManager.default.createDirectory(
                at: seed.appendingPathComponent("envs"), withIntermediateDirectories: true)
            try Self.python3Local.write(
                to: seed.appendingPathComponent("envs/python3.yml"), atomically: true, encoding: .utf8)
            try GitBackedGitHub.runGit(["add", "-A"], in: seed)
            try GitBackedGitHub.runGit(["commit", "--quiet", "-m", "envs"], in: seed)
            try GitBackedGitHub.runGit(["push", "--quiet", "origin", "HEAD:main"], in: seed)
            try FileManager.default.removeItem(at: world.envs)

            try world.configure(pullRequest: true)
            await world.channels.setChannel("conda-forge", layout: .sharded, records: Self.forge)
            await world.exports.set("python3.yml", Self.python3Upstream)
            await world.kernels(["python3"])

            let sync = try await world.run(["sync"])
            #expect(sync.status == 0, "\(sync.stdout)\n\(sync.stderr)")
            #expect(sync.stdout.contains("pull request opened"), "\(sync.stdout)")
            let body = try #require(await github.pullBody(1))
            #expect(body.contains("installs from"), "\(body)")
            #expect(body.contains("conda-forge linux-64 py310h0abc123_1"), "\(body)")
            #expect(body.contains("1 not installable yet (held)"), "\(body)")
            #expect(body.contains("numpy 2.1.3: none for linux-64/py310 on conda-forge"), "\(body)")
            let pulls = await github.pulls
            let branch = try #require(pulls[1]?.head)
            let pushed = String(decoding: try await github.show(branch, "envs/python3.yml"), as: UTF8.self)
            #expect(pushed.contains("pandas=2.2.3") && pushed.contains("numpy=2.1.1"), "\(pushed)")
        }
    }
}
