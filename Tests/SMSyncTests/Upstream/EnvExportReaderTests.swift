import Foundation
import Testing

@testable import SMSync

@Suite("Upstream env-export reader")
struct EnvExportReaderTests {
    func bytes(_ name: String) throws -> [UInt8] {
        try TestPaths.bytes(TestPaths.fixture("upstream/env-export/\(name)"))
    }

    func package(_ release: UpstreamRelease, _ name: String) throws -> UpstreamPackage {
        let kernel = try #require(release.kernels.first)
        return try #require(kernel.packages.first { $0.name == name }, "no \(name)")
    }

    @Test func readsTheExportAlone() throws {
        let release = try EnvExportReader.read(export: bytes("python3.yml"), exportLocation: "python3.yml")
        #expect(release.kind == .envExport)
        #expect(release.release?.hasPrefix("sha256:") == true)
        #expect(release.kernels.map(\.kernel) == ["conda_python3"])
        #expect(release.kernels.first?.python == "3.6")
        let numpy = try package(release, "numpy")
        #expect(numpy.version == "1.19.5")
        #expect(numpy.manager == .conda)
        #expect(numpy.build == "py36h2aa4a07_1")
        let sagemaker = try package(release, "sagemaker")
        #expect(sagemaker.version == "2.48.1")
        #expect(sagemaker.manager == .pip)
    }

    @Test func theHigherVersionWinsWhenTheFreezeIsAdded() throws {
        let release = try EnvExportReader.read(
            export: bytes("python3.yml"), exportLocation: "python3.yml", freeze: bytes("python3_pip.txt"),
            freezeLocation: "python3_pip.txt")
        #expect(try package(release, "sagemaker").version == "2.59.2")
        #expect(try package(release, "awscli").version == "1.20.40")
        // Conda's boto3 1.17.106 loses to the freeze's 1.18.40, which is pip's.
        let boto3 = try package(release, "boto3")
        #expect(boto3.version == "1.18.40")
        #expect(boto3.manager == .pip)
        // numpy @ file:///… carries no version and changes nothing; equal versions keep the conda entry.
        #expect(try package(release, "numpy").version == "1.19.5")
        #expect(try package(release, "pandas").manager == .conda)
        #expect(release.notes.contains { $0.contains("sagemaker") && $0.contains("2.48.1") && $0.contains("2.59.2") })
        #expect(release.notes.contains { $0.contains("-e git+") })
        let names = release.kernels[0].packages.map(\.name)
        #expect(Set(names).count == names.count, "one entry per package")
    }

    @Test func readsFreezeLines() {
        let (packages, notes) = EnvExportReader.readFreeze(
            "a==1.0\nB_c == 2.0\n\n# comment\nd @ https://x/d.whl\n-e .\nbad==not a version\n", location: "f.txt")
        #expect(packages.map(\.name) == ["a", "B_c"])
        #expect(packages.map(\.version) == ["1.0", "2.0"])
        #expect(packages.map(\.line) == [1, 2])
        #expect(notes.count == 3)
    }

    @Test(arguments: [
        ("no-dependencies.yml", UpstreamError.Code.missingContent, "dependencies"),
        ("not-yaml.yml", .malformed, "not a conda env export"),
        ("binary.yml", .binary, "NUL"),
    ])
    func failures(file: String, code: UpstreamError.Code, fragment: String) throws {
        let error = #expect(throws: UpstreamError.self) {
            try EnvExportReader.read(export: bytes(file), exportLocation: file)
        }
        #expect(error?.code == code)
        #expect(error?.source == .envExport)
        #expect(error?.description.contains(file) == true)
        #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "")")
    }

    @Test func refusesAnExportOverTheCap() throws {
        let error = #expect(throws: UpstreamError.self) {
            try EnvExportReader.read(
                export: bytes("python3.yml"), exportLocation: "python3.yml", limits: UpstreamLimits(maxBytesPerFile: 64)
            )
        }
        #expect(error?.code == .tooLarge)
    }
}

@Suite("Upstream env-export corpus", .enabled(if: TestPaths.corpusExists))
struct EnvExportCorpusTests {
    static let exports = [
        "chainer_p27", "chainer_p36", "mxnet_p27", "mxnet_p36", "python2", "python3", "pytorch_p27",
        "pytorch_p36", "tensorflow_p27", "tensorflow_p36",
    ]

    @Test(arguments: exports)
    func everyExportReadsWithItsFreeze(_ name: String) throws {
        let folder = TestPaths.corpus.appendingPathComponent("qtangs-env-exports-2021")
        let export = try TestPaths.bytes(folder.appendingPathComponent("\(name).yml"))
        let freezeURL = folder.appendingPathComponent("\(name)_pip.txt")
        let freeze = try TestPaths.bytes(freezeURL)
        let release = try EnvExportReader.read(
            export: export, exportLocation: "\(name).yml", freeze: freeze, freezeLocation: "\(name)_pip.txt")
        #expect(release.kernels.count == 1)
        #expect(release.kernels[0].kernel.hasPrefix("conda_"))
        #expect(release.kernels[0].packages.count > 50)
        #expect(release.kernels[0].python != nil)
    }

    @Test func python3SpotChecks() throws {
        let folder = TestPaths.corpus.appendingPathComponent("qtangs-env-exports-2021")
        let export = try TestPaths.bytes(folder.appendingPathComponent("python3.yml"))
        let alone = try EnvExportReader.read(export: export, exportLocation: "python3.yml")
        let packages = try #require(alone.kernels.first?.packages)
        #expect(packages.first { $0.name == "numpy" }?.version == "1.19.5")
        #expect(packages.first { $0.name == "numpy" }?.manager == .conda)
        #expect(packages.first { $0.name == "sagemaker" }?.version == "2.48.1")
        #expect(packages.first { $0.name == "sagemaker" }?.manager == .pip)
        let freeze = try TestPaths.bytes(folder.appendingPathComponent("python3_pip.txt"))
        let both = try EnvExportReader.read(
            export: export, exportLocation: "python3.yml", freeze: freeze, freezeLocation: "python3_pip.txt")
        let merged = try #require(both.kernels.first?.packages)
        #expect(merged.first { $0.name == "sagemaker" }?.version == "2.59.2")
        #expect(merged.first { $0.name == "numpy" }?.version == "1.19.5", "numpy @ file:///… changes nothing")
    }
}
