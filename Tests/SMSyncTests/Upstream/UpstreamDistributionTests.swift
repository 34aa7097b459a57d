import Foundation
import SMSync
import SMSyncRuntime
import Testing

@Suite("Upstream sagemaker-distribution")
struct UpstreamDistributionTests {
    @Test("a release folder: RELEASE.md, CHANGELOG-cpu.md and cpu.env.out combine; other files are skipped")
    func releaseFolder() throws {
        let release = try UpstreamReaders.distribution(paths: [UpstreamPaths.fixture("distribution/v4.5.0")])
        #expect(release.kind == .distribution)
        #expect(release.release == "4.5.0")
        #expect(release.kernels.map(\.kernel) == ["*"])
        let kernel = try #require(release.kernels.first)
        #expect(kernel.python == "3.12.13")
        #expect(kernel.packages.allSatisfy { $0.manager == .conda })
        let names = kernel.packages.map(\.name)
        #expect(Array(names.prefix(3)) == ["python", "numpy", "pytorch"])
        #expect(!names.contains("py-xgboost-gpu"))
        #expect(names.contains("py-xgboost-cpu"))
        let pytorch = try #require(kernel.packages.first { $0.name == "pytorch" })
        #expect(pytorch.version == "2.9.1")
        #expect(pytorch.build == "cpu_mkl_py312_h6a7998d_100")
        #expect(pytorch.channel == "conda-forge")
        #expect(pytorch.subdir == "linux-64")
        #expect(release.version(of: "libabseil", in: "*") == "20250512.1")
        #expect(release.version(of: "poppler", in: "*") == "25.02.0")
        #expect(!names.contains("libclang-cpp21.1"))
        #expect(
            release.notes.contains { $0.hasPrefix("combined RELEASE.md (11 packages), CHANGELOG-cpu.md (8 packages)") })
        #expect(release.notes.contains("removed since the previous release: libclang-cpp21.1 (last 21.1.0)"))
        #expect(release.notes.contains("skipped files that are not cpu release files: CHANGELOG-gpu.md, cpu.env.in"))
    }

    @Test("the gpu variant reads the gpu column and change log")
    func gpuVariant() throws {
        let release = try UpstreamReaders.distribution(
            paths: [UpstreamPaths.fixture("distribution/v4.5.0")], variant: .gpu)
        let names = release.kernels.first?.packages.map(\.name) ?? []
        #expect(names.contains("py-xgboost-gpu"))
        #expect(!names.contains("py-xgboost-cpu"))
    }

    @Test(
        "@EXPLICIT URLs are split from the right",
        arguments: [
            (
                "https://conda.anaconda.org/conda-forge/linux-64/ld_impl_linux-64-2.46.1-default_hbd61a6d_102.conda#449500f2",
                "ld_impl_linux-64", "2.46.1", "default_hbd61a6d_102", "conda-forge", "linux-64"
            ),
            (
                "https://conda.anaconda.org/conda-forge/linux-64/_py-xgboost-mutex-2.0-cpu_0.tar.bz2#23b8f98a",
                "_py-xgboost-mutex", "2.0", "cpu_0", "conda-forge", "linux-64"
            ),
            (
                "https://repo.anaconda.com/pkgs/main/noarch/tzdata-2025b-h04d1e81_0.conda", "tzdata", "2025b",
                "h04d1e81_0", "pkgs/main", "noarch"
            ),
        ])
    func explicitURL(url: String, name: String, version: String, build: String, channel: String, subdir: String) throws
    {
        let package = try #require(DistributionReader.explicitPackage(url))
        #expect(package.name == name)
        #expect(package.version == version)
        #expect(package.build == build)
        #expect(package.channel == channel)
        #expect(package.subdir == subdir)
    }

    @Test("differing versions: the more exact file wins and a note says so")
    func conflict() throws {
        let notes = DistributionFile(
            location: "v1.2.3/RELEASE.md",
            text: "# Release notes: 1.2.3\n\nPackage | gpu| cpu\n---|---|---\nnumpy|1.26.4|1.26.4\n")
        let explicit = DistributionFile(
            location: "v1.2.3/cpu.env.out",
            text: "@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.5-py312h_0.conda\n")
        let release = try DistributionReader.read([explicit, notes])
        #expect(release.version(of: "numpy", in: "*") == "1.26.5")
        #expect(release.kernels.first?.packages.first?.build == "py312h_0")
        #expect(release.notes.contains("numpy: RELEASE.md says 1.26.4, cpu.env.out says 1.26.5; using 1.26.5"))
    }

    @Test(
        "the release number comes from the path when no title names it",
        arguments: [
            ("build_artifacts/v4/v4.4/v4.4.1/cpu.env.out", "4.4.1"),
            ("corpus/v3.9.10_cpu.env.out.first40lines", "3.9.10"),
            ("cpu.env.out", nil),
        ])
    func releaseHint(path: String, expected: String?) {
        #expect(DistributionReader.releaseHint(in: path) == expected)
    }

    // MARK: failure rules

    @Test("a RELEASE.md without its table")
    func noTable() {
        expectUpstreamError(
            .missingContent, source: .distribution,
            messageContains: ["v4.5.0_RELEASE-no-table.md", "Package | gpu | cpu"]
        ) {
            _ = try UpstreamReaders.distribution(paths: [
                UpstreamPaths.fixture("distribution/broken/v4.5.0_RELEASE-no-table.md")
            ])
        }
    }

    @Test("a RELEASE.md without its title")
    func noTitle() {
        expectUpstreamError(
            .missingContent, source: .distribution, messageContains: ["RELEASE-no-title.md", "# Release notes:"]
        ) {
            _ = try UpstreamReaders.distribution(paths: [
                UpstreamPaths.fixture("distribution/broken/RELEASE-no-title.md")
            ])
        }
    }

    @Test("a RELEASE.md with a ragged row")
    func ragged() {
        expectUpstreamError(.malformed, source: .distribution, line: 6, messageContains: ["ragged table row"]) {
            _ = try UpstreamReaders.distribution(paths: [UpstreamPaths.fixture("distribution/broken/RELEASE-ragged.md")]
            )
        }
    }

    @Test("an env.out line that is not a package URL")
    func badURL() {
        expectUpstreamError(
            .malformed, source: .distribution, line: 4, messageContains: ["not a conda package URL", "libzlib.conda"]
        ) {
            _ = try UpstreamReaders.distribution(paths: [UpstreamPaths.fixture("distribution/broken/bad-url.env.out")])
        }
    }

    @Test("files of different releases are refused")
    func mixedReleases() {
        expectUpstreamError(.inconsistent, source: .distribution, messageContains: ["4.4.9", "4.5.0"]) {
            _ = try UpstreamReaders.distribution(paths: [
                UpstreamPaths.fixture("distribution/v4.5.0/RELEASE.md"),
                UpstreamPaths.fixture("distribution/broken/v4.4.9_CHANGELOG-cpu.md"),
            ])
        }
    }

    @Test("a change log of the other variant is refused when named explicitly")
    func otherVariant() {
        expectUpstreamError(.inconsistent, source: .distribution, messageContains: ["gpu change log"]) {
            _ = try UpstreamReaders.distribution(paths: [UpstreamPaths.fixture("distribution/v4.5.0/CHANGELOG-gpu.md")])
        }
    }

    @Test("a file that is not a release file is refused when named explicitly")
    func notAReleaseFile() {
        expectUpstreamError(
            .missingContent, source: .distribution,
            messageContains: ["cpu.env.in", "not a sagemaker-distribution release file"]
        ) {
            _ = try UpstreamReaders.distribution(paths: [UpstreamPaths.fixture("distribution/v4.5.0/cpu.env.in")])
        }
    }
}
