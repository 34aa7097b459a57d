import Foundation
import GRDB
import Testing

/// `availability:` through the built binary, offline: a local channel folder (`file://`, `<subdir>/repodata.json`)
/// under the channel alias and a local PEP 691 index. numpy 2.1.3 has only a Python 3.11 build at first, so the
/// update is held as `unavailable`; once the channel gains a 3.10 build, the next sync applies it.
@Suite("Availability (built binary, local channel)", .serialized)
struct AvailabilityEndToEndTests {
    struct Sandbox {
        let root: URL
        var config: String { root.appendingPathComponent("smsync.yml").path }
        var env: URL { root.appendingPathComponent("envs/python3.yml") }
        var state: String { root.appendingPathComponent(".smsync/state.db").path }
        var environment: [String: String] {
            ["NO_COLOR": "1", "XDG_CACHE_HOME": root.appendingPathComponent("cache").path]
        }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-avail-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: Binary.fixture("availability"), to: root)
            let config = """
                envs:
                  dir: envs
                state: .smsync/state.db
                sources:
                  - kind: env-export
                    url: upstream/exports/
                policy:
                  update: [patch, minor]
                availability:
                  enabled: true
                  platforms: [linux-64]
                  channel_alias: file://\(root.appendingPathComponent("channels").path)
                  defaults: []
                  pip_index: file://\(root.appendingPathComponent("pypi").path)

                """
            try config.write(toFile: self.config, atomically: true, encoding: .utf8)
        }

        func run(_ arguments: [String]) async throws -> Binary.Result {
            try await Binary.runAsync(arguments + ["--config", config], environment: environment, timeout: 120)
        }

        /// The channel gains numpy 2.1.3 for Python 3.10.
        func publishNextChannel() throws {
            let target = root.appendingPathComponent("channels/conda-forge/linux-64/repodata.json")
            try FileManager.default.removeItem(at: target)
            try FileManager.default.copyItem(
                at: root.appendingPathComponent("channels-next/conda-forge/linux-64/repodata.json"), to: target)
        }

        func holds() throws -> [(package: String, version: String, firstSeen: String)] {
            let queue = try DatabaseQueue(path: state)
            return try queue.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT package, version, first_seen_unavailable FROM availability_holds ORDER BY package"
                ).map { ($0["package"], $0["version"], $0["first_seen_unavailable"]) }
            }
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func heldWhileUnavailableThenAppliedOnceTheChannelHasIt() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let original = try String(contentsOf: sandbox.env, encoding: .utf8)

        // diff, all three formats.
        let json = try await sandbox.run(["diff", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let kernels = try #require(report["kernels"] as? [[String: Any]])
        let changes = try #require(kernels.first?["changes"] as? [[String: Any]])
        func change(_ package: String) throws -> [String: Any] {
            try #require(changes.first { $0["package"] as? String == package }, "\(package)")
        }
        let numpy = try change("numpy")
        #expect(numpy["action"] as? String == "unavailable")
        let numpyReason = try #require(numpy["reason"] as? String)
        #expect(numpyReason.contains("numpy 2.1.3: none for linux-64/py310 on conda-forge"), "\(numpyReason)")
        #expect(numpyReason.contains("python >=3.11,<3.12.0a0"), "\(numpyReason)")
        let pandas = try change("pandas")
        #expect(pandas["action"] as? String == "update")
        let pandasFrom = try #require(pandas["availability"] as? [String: Any])
        #expect(pandasFrom["status"] as? String == "available")
        #expect(pandasFrom["channel"] as? String == "conda-forge")
        #expect(pandasFrom["subdir"] as? String == "linux-64")
        #expect(pandasFrom["build"] as? String == "py310h5eaa309_1")
        let requests = try change("requests")
        #expect(requests["action"] as? String == "update")
        let requestsFrom = try #require(requests["availability"] as? [String: Any])
        #expect(requestsFrom["file"] as? String == "requests-2.32.3-py3-none-any.whl")
        let summary = try #require(report["summary"] as? [String: Int])
        #expect(summary["unavailable"] == 1)
        #expect(summary["updates"] == 2)

        let table = try await sandbox.run(["diff"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("unavailable (numpy 2.1.3: none for linux-64/py310"), "\(table.stdout)")
        #expect(table.stdout.contains("conda-forge linux-64 py310h5eaa309_1"), "\(table.stdout)")

        let markdown = try await sandbox.run(["diff", "--format", "markdown"])
        #expect(markdown.status == 0)
        #expect(markdown.stdout.contains("1 not installable yet (held)"), "\(markdown.stdout)")
        #expect(markdown.stdout.contains("| installs from |"))

        // `--exit-code`: unavailable updates are not pending, the two others are.
        let pending = try await sandbox.run(["diff", "--exit-code", "--format", "json"])
        #expect(pending.status == 1)

        // First sync: pandas and requests are written, numpy is not.
        let first = try await sandbox.run(["sync"])
        #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("1 unavailable"), "\(first.stdout)")
        let afterFirst = try String(contentsOf: sandbox.env, encoding: .utf8)
        #expect(afterFirst != original)
        #expect(afterFirst.contains("numpy=2.1.1"))
        #expect(afterFirst.contains("pandas=2.2.3"))
        #expect(afterFirst.contains("requests==2.32.3"))
        let holds = try sandbox.holds()
        #expect(holds.map(\.package) == ["numpy"])
        #expect(holds.first?.version == "2.1.3")

        // Second sync, nothing new: still held, first seen kept.
        let second = try await sandbox.run(["sync"])
        #expect(second.status == 0, "\(second.stdout)\n\(second.stderr)")
        #expect(try String(contentsOf: sandbox.env, encoding: .utf8) == afterFirst)
        let stillHeld = try sandbox.holds()
        #expect(stillHeld.map(\.firstSeen) == holds.map(\.firstSeen), "first seen persists across runs")
        // With the state database, the report says since when.
        let since = try await sandbox.run(["diff"])
        #expect(since.status == 0)
        #expect(since.stdout.contains("unavailable since 20"), "\(since.stdout)")

        // The channel gains the build: the next sync applies numpy as an ordinary update.
        try sandbox.publishNextChannel()
        let third = try await sandbox.run(["sync"])
        #expect(third.status == 0, "\(third.stdout)\n\(third.stderr)")
        let afterThird = try String(contentsOf: sandbox.env, encoding: .utf8)
        #expect(afterThird.contains("numpy=2.1.3"))
        #expect(try sandbox.holds().isEmpty, "the hold is cleared once the version is available")
        let done = try await sandbox.run(["diff", "--format", "json"])
        #expect(done.status == 0)
        #expect(!done.stdout.contains("\"unavailable\","), "no change is unavailable any more")
    }

    @Test func aChannelThatCannotBeReadFailsTheCheckAndWritesNothing() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        try FileManager.default.removeItem(at: sandbox.root.appendingPathComponent("channels/conda-forge"))
        let original = try String(contentsOf: sandbox.env, encoding: .utf8)
        let diff = try await sandbox.run(["diff", "--format", "json"])
        #expect(diff.status == 3, "\(diff.stderr)")
        #expect(diff.stdout.contains("could not check: conda-forge linux-64: no channel folder at"), "\(diff.stdout)")
        let sync = try await sandbox.run(["sync"])
        #expect(sync.status == 3, "\(sync.stdout)\n\(sync.stderr)")
        #expect(try String(contentsOf: sandbox.env, encoding: .utf8) == original, "nothing is written")
    }
}
