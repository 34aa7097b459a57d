import SMSync
import SMSyncRuntime
import Testing

@Suite("Upstream sagemaker-python-sdk change log")
struct UpstreamSDKChangelogTests {
    @Test("the newest heading gives sagemaker for every kernel, with its date")
    func newest() throws {
        let release = try UpstreamReaders.sdkChangelog(path: UpstreamPaths.fixture("sdk-changelog/CHANGELOG.md"))
        #expect(release.kind == .sdkChangelog)
        #expect(release.release == "2.232.1")
        #expect(release.published?.description == "2024-10-03")
        #expect(
            release.kernels == [
                UpstreamKernel(
                    kernel: "*", packages: [UpstreamPackage(name: "sagemaker", version: "2.232.1", manager: .pip)])
            ])
    }

    @Test("a heading without a date")
    func withoutDate() throws {
        let release = try SDKChangelogReader.read(
            "# Changelog\n\n## v2.240.0\n\n * a change\n", location: "CHANGELOG.md")
        #expect(release.release == "2.240.0")
        #expect(release.published == nil)
        #expect(release.notes == ["the newest heading (line 3) has no date"])
    }

    @Test("a change log without a version heading")
    func noVersion() {
        expectUpstreamError(
            .missingContent, source: .sdkChangelog, messageContains: ["CHANGELOG-no-version.md", "## vX.Y.Z"]
        ) {
            _ = try UpstreamReaders.sdkChangelog(path: UpstreamPaths.fixture("sdk-changelog/CHANGELOG-no-version.md"))
        }
    }

    @Test("a heading with a date that does not exist")
    func badDate() {
        expectUpstreamError(.malformed, source: .sdkChangelog, line: 3, messageContains: ["2024-13-45"]) {
            _ = try UpstreamReaders.sdkChangelog(path: UpstreamPaths.fixture("sdk-changelog/CHANGELOG-bad-date.md"))
        }
    }
}
