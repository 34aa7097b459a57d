import Foundation
import Testing

/// `smsync diff` and `smsync apply` on a copy of the demo image, in a real temporary git repository.
@Suite("smsync diff and apply (built binary)", .serialized)
struct DiffApplyTests {
    /// A copy of Fixtures/demo in a temporary folder, committed to a fresh git repository.
    struct Sandbox {
        let root: URL
        var config: String { root.appendingPathComponent("smsync.yml").path }
        var envs: URL { root.appendingPathComponent("image/base/utils/envs") }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-demo-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: Binary.fixture("demo"), to: root)
            try git(["init", "--quiet", "--initial-branch=main"])
            try git(["add", "-A"])
            try git(["-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "--quiet", "-m", "demo"])
        }

        @discardableResult
        func git(_ arguments: [String]) throws -> String {
            try Git.run(arguments, in: root)
        }

        func snapshot() throws -> [String: Data] {
            var result: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: envs.path) {
                result[name] = try Data(contentsOf: envs.appendingPathComponent(name))
            }
            return result
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func diffReportsRealDriftInEveryFormat() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let json = try await Binary.runAsync(["diff", "--config", sandbox.config, "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let summary = try #require(report["summary"] as? [String: Int])
        #expect((summary["updates"] ?? 0) > 0)
        let kernels = try #require(report["kernels"] as? [[String: Any]])
        #expect(
            kernels.compactMap { $0["kernel"] as? String }.sorted()
                == ["conda_python3", "conda_pytorch_p310", "conda_tensorflow2_p310"])
        let python3 = try #require(kernels.first { $0["kernel"] as? String == "conda_python3" })
        let changes = try #require(python3["changes"] as? [[String: Any]])
        let pandas = try #require(changes.first { $0["package"] as? String == "pandas" })
        #expect(pandas["current"] as? String == "2.2.1")
        #expect(pandas["upstream"] as? String == "2.2.3")
        #expect(pandas["kind"] as? String == "patch")
        #expect(pandas["action"] as? String == "update")
        #expect(pandas["source"] as? String == "env-export")
        let renamed = try #require(report["renamed"] as? [[String: Any]])
        #expect(
            renamed.contains {
                $0["local"] as? String == "conda_pytorch_p310" && $0["upstream"] as? String == "conda_pytorch"
            })
        let conflicts = try #require(report["conflicts"] as? [[String: Any]])
        #expect(
            conflicts.contains { $0["kernel"] as? String == "conda_python3" && $0["package"] as? String == "sagemaker" }
        )

        let table = try await Binary.runAsync(["diff", "--config", sandbox.config], environment: ["NO_COLOR": "1"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("conda_python3"))
        #expect(table.stdout.contains("PACKAGE"))
        #expect(!table.stdout.contains("\u{1B}["), "no colour when not a terminal")

        let markdown = try await Binary.runAsync(["diff", "--config", sandbox.config, "--format", "markdown"])
        #expect(markdown.status == 0)
        #expect(markdown.stdout.contains("| package | from | to | kind | source |"))

        let pending = try await Binary.runAsync(["diff", "--config", sandbox.config, "--exit-code", "--format", "json"])
        #expect(pending.status == 1)
    }

    @Test func applyWithPullRequestFilesAndGitCommitLeavesTheCheckoutAlone() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let before = try sandbox.snapshot()
        let headBefore = try sandbox.git(["rev-parse", "HEAD"])
        let prDir = sandbox.root.appendingPathComponent("out").path
        let result = try await Binary.runAsync(["apply", "--config", sandbox.config, "--pr-dir", prDir, "--git-commit"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try sandbox.snapshot() == before, "the working tree is untouched")
        #expect(try sandbox.git(["rev-parse", "HEAD"]) == headBefore)
        #expect(try sandbox.git(["status", "--porcelain", "--", "image"]).isEmpty)
        #expect(try sandbox.git(["diff", "--cached", "--name-only"]).isEmpty, "the index is untouched")

        let branch = try String(contentsOfFile: "\(prDir)/branch.txt", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(branch.hasPrefix("smsync/"))
        for name in ["commit-message.txt", "pr-body.md", "plan.json"] {
            #expect(FileManager.default.fileExists(atPath: "\(prDir)/\(name)"), "\(name)")
        }
        #expect(try sandbox.git(["rev-parse", "\(branch)^"]) == headBefore, "one commit on top of HEAD")
        let changed = try sandbox.git(["diff", "--name-only", headBefore, branch]).split(separator: "\n")
        #expect(!changed.isEmpty)
        #expect(changed.allSatisfy { $0.hasPrefix("image/base/utils/envs/") })
        // The branch differs from HEAD only in version text: every changed line keeps its shape.
        let patch = try sandbox.git(["diff", "--unified=0", headBefore, branch])
        let removed = patch.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }
        let added = patch.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("+") && !$0.hasPrefix("+++") }
        #expect(removed.count == added.count)
        for (old, new) in zip(removed, added) {
            let strip: (Substring) -> String = { line in
                String(line.dropFirst().filter { !($0.isNumber || $0 == ".") }.split(separator: "=").first ?? "")
            }
            #expect(strip(old) == strip(new), "\(old) → \(new)")
        }

        // Same upstream again: the branch stays where it is.
        let tip = try sandbox.git(["rev-parse", branch])
        let again = try await Binary.runAsync(["apply", "--config", sandbox.config, "--git-commit"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try sandbox.git(["rev-parse", branch]) == tip)
    }

    @Test func inPlaceApplyThenNothingToDo() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let before = try sandbox.snapshot()
        let dry = try await Binary.runAsync(["apply", "--config", sandbox.config, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("@@"))
        #expect(try sandbox.snapshot() == before, "--dry-run writes nothing")

        let applied = try await Binary.runAsync(["apply", "--config", sandbox.config])
        #expect(applied.status == 0, "\(applied.stderr)")
        let after = try sandbox.snapshot()
        #expect(after != before)
        // Only version text changed: same number of lines, and each changed line differs only in digits/dots or a
        // dropped build.
        for (name, old) in before {
            let oldLines = String(decoding: old, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let newLines = String(decoding: after[name] ?? Data(), as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: false)
            #expect(oldLines.count == newLines.count, "\(name)")
            for (old, new) in zip(oldLines, newLines) where old != new {
                // Without digits and dots (and a dropped `=build`), a changed line reads the same.
                let shape: (Substring) -> String = { line in
                    String(line.filter { !($0.isNumber || $0 == ".") }.split(separator: "=").first ?? "")
                }
                #expect(shape(old) == shape(new), "\(name): \(old) → \(new)")
            }
        }
        let again = try await Binary.runAsync(["apply", "--config", sandbox.config])
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing to do"))
        #expect(try sandbox.snapshot() == after)
        let clean = try await Binary.runAsync(["diff", "--config", sandbox.config, "--exit-code"])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
    }

    @Test func theQuickstartDryRunSyncRecordsStateAndChangesNoFile() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.remove() }
        let before = try sandbox.snapshot()
        let result = try await Binary.runAsync(["sync", "--config", sandbox.config, "--dry-run"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("would update"))
        #expect(try sandbox.snapshot() == before)
        #expect(FileManager.default.fileExists(atPath: sandbox.root.appendingPathComponent(".smsync/state.db").path))
        let history = try await Binary.runAsync(["history", "--config", sandbox.config])
        #expect(history.status == 0, "\(history.stderr)")
    }

    @Test func badConfigurationExitsTwo() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("smsync-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("smsync.yml")
        try "envs:\n  dir: nowhere\n".write(to: config, atomically: true, encoding: .utf8)
        let result = try await Binary.runAsync(["diff", "--config", config.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("envs.dir"))
        let missing = try await Binary.runAsync(["diff", "--config", folder.appendingPathComponent("absent.yml").path])
        #expect(missing.status == 2)
    }
}
