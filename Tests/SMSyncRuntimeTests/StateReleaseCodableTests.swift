import Foundation
import SMSync
import SMSyncRuntime
import Testing

private let fixtures = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appending(path: "Fixtures/upstream")

private func fixture(_ relative: String) -> String { fixtures.appending(path: relative).path }

@Suite("Upstream releases as stored JSON")
struct StateReleaseCodableTests {
    static func parsedFixtures() throws -> [UpstreamRelease] {
        let exportBytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture("env-export/python3.yml"))))
        let freezeBytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture("env-export/python3_pip.txt"))))
        return [
            try UpstreamReaders.awsDocs(path: fixture("aws-docs/nbi-al2023.html")),
            try UpstreamReaders.awsDocs(path: fixture("aws-docs/several-platforms.md")),
            try UpstreamReaders.sdkChangelog(path: fixture("sdk-changelog/CHANGELOG.md")),
            try UpstreamReaders.distribution(paths: [fixture("distribution/v4.5.0")]),
            try EnvExportReader.read(
                export: exportBytes, exportLocation: "python3.yml", freeze: freezeBytes,
                freezeLocation: "python3_pip.txt"),
            try ExamplesTree.scan(root: fixture("examples/tree"), commit: "0123abcd"),
        ]
    }

    @Test func everyFixtureReleaseRoundTripsExactlyThroughTheArchive() throws {
        let releases = try Self.parsedFixtures()
        #expect(Set(releases.map(\.kind)) == Set(UpstreamSourceKind.allCases))
        for release in releases {
            let data = try JSONEncoder().encode(UpstreamReleaseArchive(release))
            #expect(
                try JSONDecoder().decode(UpstreamReleaseArchive.self, from: data).release == release, "\(release.kind)")
        }
        #expect(
            releases.contains {
                $0.kernels.contains { $0.packages.contains { $0.channel != nil || $0.subdir != nil } }
            },
            "channels and subdirs are exercised")
        #expect(releases.contains { !$0.platforms.isEmpty }, "platforms are exercised")
        let examples = try #require(releases.last?.examples)
        #expect(!examples.requirements.isEmpty && !examples.kernelspecs.isEmpty, "the examples part is exercised")
    }

    @Test func everyOptionalFieldSurvives() throws {
        let full = UpstreamRelease(
            kind: .distribution, release: "4.5.0", published: UpstreamDate(year: 2024, month: 2, day: 29),
            kernels: [
                UpstreamKernel(
                    kernel: "*", python: "3.11",
                    packages: [
                        UpstreamPackage(
                            name: "numpy", version: "1.26.4", manager: .conda, build: "b_0", channel: "conda-forge",
                            subdir: "noarch")
                    ])
            ], notes: ["n"], platforms: ["p1", "p2"], defaultPlatform: "p2",
            examples: ExamplesSummary(
                commit: nil, notebooks: 3,
                requirements: [ExampleRequirement(package: "sagemaker", spec: ">=2", file: " a/b.ipynb")],
                kernelspecs: ["conda_python3": 2, "python3": 1]))
        let bare = UpstreamRelease(kind: .awsDocs, release: nil, kernels: [UpstreamKernel(kernel: "conda_python3")])
        for release in [full, bare] {
            let data = try JSONEncoder().encode(UpstreamReleaseArchive(release))
            #expect(try JSONDecoder().decode(UpstreamReleaseArchive.self, from: data).release == release)
        }
    }

    @Test func theParseContractReadsBackWhereItIsComplete() throws {
        for release in try Self.parsedFixtures() {
            var contract = release
            contract.platforms = []
            contract.defaultPlatform = nil
            for index in contract.kernels.indices {
                for package in contract.kernels[index].packages.indices {
                    contract.kernels[index].packages[package].channel = nil
                    contract.kernels[index].packages[package].subdir = nil
                }
            }
            let text = try release.jsonText()
            #expect(
                try JSONDecoder().decode(UpstreamRelease.self, from: Data(text.utf8)) == contract, "\(release.kind)")
        }
    }

    @Test func aNewerArchiveFormatIsRefused() throws {
        let json = #"{"format":2,"kind":"aws-docs","kernels":[],"notes":[],"platforms":[]}"#
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(UpstreamReleaseArchive.self, from: Data(json.utf8))
        }
    }

    @Test(arguments: [#""2024-02-30""#, #""24-02-01""#, #""2024-2-1""#, "20240201"])
    func invalidDatesAreRefused(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(UpstreamDate.self, from: Data(json.utf8)) }
    }
}
