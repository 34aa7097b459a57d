import Foundation
import Testing

/// Runs the built `smsync` binary on upstream fixtures.
@Suite("Upstream parse end to end")
struct UpstreamEndToEndTests {
    static let packageRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func fixture(_ relative: String) -> String {
        packageRoot.appending(path: "Fixtures/upstream").appending(path: relative).path
    }

    /// The `smsync` binary: `SMSYNC_BINARY` if set, else next to the test bundle, else `.build/debug` or
    /// `.build/release` of this package.
    static func binary() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["SMSYNC_BINARY"] { candidates.append(explicit) }
        for bundle in [Bundle.main] + Bundle.allBundles {
            var directory = bundle.bundleURL
            for _ in 0..<3 {
                candidates.append(directory.appending(path: "smsync").path)
                directory = directory.deletingLastPathComponent()
            }
        }
        candidates += [".build/debug/smsync", ".build/release/smsync"].map { packageRoot.appending(path: $0).path }
        guard
            let found = candidates.first(where: { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                    && FileManager.default.isExecutableFile(atPath: path)
            })
        else {
            throw BinaryNotFound(searched: candidates)
        }
        return found
    }

    struct BinaryNotFound: Error, CustomStringConvertible {
        var searched: [String]
        var description: String { "smsync binary not found; looked at \(searched.joined(separator: ", "))" }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @Test("aws-docs HTML fixture → JSON with the contract's keys")
    func awsDocsJSON() async throws {
        let result = try await Binary.runAsync([
            "upstream", "parse", "--kind", "aws-docs", Self.fixture("aws-docs/nbi-al2023.html"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["kind", "release", "published", "kernels", "notes"])
        #expect(object["kind"] as? String == "aws-docs")
        #expect((object["release"] as? String)?.hasPrefix("sha256:") == true)
        #expect(object["published"] is NSNull)
        let kernels = try #require(object["kernels"] as? [[String: Any]])
        #expect(
            kernels.compactMap { $0["kernel"] as? String } == ["conda_python3", "conda_pytorch", "conda_tensorflow2"])
        let pytorch = try #require(kernels.first { $0["kernel"] as? String == "conda_pytorch" })
        #expect(pytorch["python"] as? String == "3.10")
        let packages = try #require(pytorch["packages"] as? [[String: Any]])
        #expect(packages.compactMap { $0["name"] as? String } == ["python", "pytorch"])
        #expect(packages.last?["version"] as? String == "2.10.0")
        #expect(packages.last?["manager"] as? String == "conda")
        #expect(packages.last?["build"] is NSNull)
    }

    @Test("sdk-changelog fixture → release and published date")
    func sdkChangelog() async throws {
        let result = try await Binary.runAsync([
            "upstream", "parse", "--kind", "sdk-changelog", Self.fixture("sdk-changelog/CHANGELOG.md"),
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["release"] as? String == "2.232.1")
        #expect(object["published"] as? String == "2024-10-03")
    }

    @Test("examples fixture tree → commit, notebooks and kernelspecs")
    func examples() async throws {
        let result = try await Binary.runAsync([
            "upstream", "parse", "--kind", "examples", Self.fixture("examples/tree"), "--commit", "2D519B52AA",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["commit"] as? String == "2d519b52aa")
        #expect(object["release"] as? String == "2d519b52aa")
        #expect(object["notebooks"] as? Int == 5)
        #expect((object["kernelspecs"] as? [String: Int]) == ["conda_python3": 2, "conda_pytorch_p310": 1])
        #expect((object["kernels"] as? [Any])?.isEmpty == true)
    }

    @Test(
        "a broken fixture exits with status 3 and says why on stderr",
        arguments: [
            ["--kind", "aws-docs", "aws-docs/wrong-header.html"],
            ["--kind", "aws-docs", "aws-docs/truncated.html"],
            ["--kind", "distribution", "distribution/broken/v4.5.0_RELEASE-no-table.md"],
            ["--kind", "sdk-changelog", "sdk-changelog/CHANGELOG-no-version.md"],
            ["--kind", "examples", "examples/no-notebooks"],
        ])
    func brokenFixture(arguments: [String]) async throws {
        let result = try await Binary.runAsync([
            "upstream", "parse", arguments[0], arguments[1], Self.fixture(arguments[2]),
        ])
        #expect(result.status == 3)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("error: \(arguments[1]): "))
    }

    /// Needs the root command to map ArgumentParser's usage failures (EX_USAGE, 64) to the contract's status 2.
    @Test(
        "a bad command line exits with status 2",
        arguments: [
            ["upstream", "parse", "--kind", "nonsense", "x"],
            ["upstream", "parse", "--kind", "aws-docs", "/nonexistent/page.html"],
            ["upstream", "parse", "--kind", "sdk-changelog", "--commit", "abc1234", "CHANGELOG.md"],
        ])
    func badCommandLine(arguments: [String]) async throws {
        let result = try await Binary.runAsync(arguments)
        #expect(result.status == 2, "\(result.stderr)")
    }
}
