import Foundation
import SMSync
import SMSyncRuntime
import Testing

/// Spot checks against the real upstream files in `../shared/corpus` (skipped when that folder is absent).
@Suite("Upstream corpus spot checks", .enabled(if: corpusExists))
struct UpstreamCorpusTests {
    @Test("AL2023 live mirror: conda_pytorch with pytorch 2.10.0 and Python 3.10")
    func al2023() throws {
        let release = try UpstreamReaders.awsDocs(path: UpstreamPaths.corpus("aws-docs/nbi-al2023-live-mirror.md"))
        #expect(release.kernels.map(\.kernel) == ["conda_python3", "conda_pytorch"])
        #expect(release.kernel(named: "conda_pytorch")?.python == "3.10")
        #expect(release.version(of: "pytorch", in: "conda_pytorch") == "2.10.0")
        #expect(release.version(of: "python", in: "conda_python3") == "3.10")
        #expect(release.platforms == ["notebook-al2023-v1"])
        #expect(release.notes.filter { $0.hasPrefix("not a conda kernel") }.count == 4)
    }

    @Test("AL2 live mirror excerpt: PyTorch 2.2.0 and TensorFlow 2.16.0 across <br> line breaks")
    func al2Live() throws {
        let release = try UpstreamReaders.awsDocs(path: UpstreamPaths.corpus("aws-docs/nbi-al2-live-mirror-excerpt.md"))
        #expect(release.kernels.map(\.kernel) == ["conda_python3", "conda_pytorch_p310", "conda_tensorflow2_p310"])
        #expect(release.kernels.allSatisfy { $0.python == "3.10" })
        #expect(release.version(of: "pytorch", in: "conda_pytorch_p310") == "2.2.0")
        #expect(release.version(of: "tensorflow", in: "conda_tensorflow2_p310") == "2.16.0")
        #expect(release.platforms == ["notebook-al2-v1", "notebook-al2-v2", "notebook-al2-v3"])
    }

    @Test("AL2 archived page: three per-platform tables, the last (notebook-al2-v2) read, its default found")
    func al2Archived() throws {
        let release = try UpstreamReaders.awsDocs(path: UpstreamPaths.corpus("aws-docs/nbi-al2.md"))
        #expect(
            release.kernels.map(\.kernel) == [
                "conda_amazonei_pytorch_latest_p37", "conda_mxnet_p38", "conda_python3", "conda_pytorch_p39",
                "conda_tensorflow2_p310",
            ])
        #expect(release.platforms == ["notebook-al1-v1", "notebook-al2-v1", "notebook-al2-v2"])
        #expect(release.defaultPlatform == "notebook-al2-v2")
        #expect(release.notes.contains { $0.contains("skipped: line 28 (notebook-al1-v1); line 58 (notebook-al2-v1)") })
    }

    @Test(
        "docs pages without a kernel table fail loudly",
        arguments: [
            "aws-docs/nbi-jl.md", "aws-docs/nbi-software-updates.md", "aws-docs/notebooks-available-kernels.md",
        ])
    func otherDocsPages(path: String) {
        expectUpstreamError(.missingContent, source: .awsDocs) {
            _ = try UpstreamReaders.awsDocs(path: UpstreamPaths.corpus(path))
        }
    }

    @Test("v4.4.1 RELEASE.md: release id and package versions")
    func distributionRelease() throws {
        let release = try UpstreamReaders.distribution(paths: [
            UpstreamPaths.corpus("sagemaker-distribution/v4.4.1_RELEASE.md")
        ])
        #expect(release.release == "4.4.1")
        #expect(release.kernels.first?.python == "3.12.13")
        #expect(release.version(of: "pytorch", in: "*") == "2.8.0")
        #expect(release.version(of: "boto3", in: "*") == "1.43.56")
        #expect(release.version(of: "jupyterlab", in: "*") == "4.5.10")
        #expect(release.version(of: "py-xgboost-cpu", in: "*") == "2.1.4")
        #expect(release.version(of: "py-xgboost-gpu", in: "*") == nil)
    }

    @Test("v4.4.1 RELEASE.md, CHANGELOG-cpu.md and cpu.env.out combine without conflicts")
    func distributionCombined() throws {
        let release = try UpstreamReaders.distribution(paths: [
            UpstreamPaths.corpus("sagemaker-distribution/v4.4.1_RELEASE.md"),
            UpstreamPaths.corpus("sagemaker-distribution/v4.4.1_CHANGELOG-cpu.md"),
            UpstreamPaths.corpus("sagemaker-distribution/v4.4.1_cpu.env.out.first60lines"),
        ])
        #expect(release.release == "4.4.1")
        #expect(!release.notes.contains { $0.contains(" says ") })
        let packages = release.kernels.first?.packages ?? []
        let python = try #require(packages.first { $0.name == "python" })
        #expect(python.build?.hasSuffix("_cpython") == true)
        #expect(release.version(of: "uv", in: "*") == "0.12.5")
        #expect(release.version(of: "harfbuzz", in: "*") == "11.0.0")
        #expect(release.version(of: "expat", in: "*") == "2.8.1")
        let openmp = try #require(packages.first { $0.name == "llvm-openmp" })
        #expect(openmp.version == "22.1.8")
        #expect(openmp.build == "h4922eb0_0")
        #expect(openmp.channel == "conda-forge")
    }

    @Test(
        "v3.9.10 files parse",
        arguments: [
            ("sagemaker-distribution/v3.9.10_RELEASE.md.first60lines", "pytorch", "2.6.0"),
            ("sagemaker-distribution/v3.9.10_CHANGELOG-cpu.md", "sagemaker-studio", "1.1.29"),
            ("sagemaker-distribution/v3.9.10_cpu.env.out.first40lines", "idna", "3.18"),
        ])
    func distribution3910(path: String, package: String, version: String) throws {
        let release = try UpstreamReaders.distribution(paths: [UpstreamPaths.corpus(path)])
        #expect(release.release == "3.9.10")
        #expect(release.version(of: package, in: "*") == version)
    }

    @Test(
        "distribution files that are not release files",
        arguments: [
            "v4.4.1_cpu.env.in", "v4.4.1_cpu.pinned_env.in", "v4.4.0_cpu.additional_packages_env.in",
            "v4.4.1_source-version.txt",
        ])
    func notReleaseFiles(name: String) throws {
        let text = try UpstreamPaths.corpusText("sagemaker-distribution/" + name)
        #expect(DistributionReader.classify(text) == nil)
    }

    /// The folder grows as cases are added, so the test names no release: the refusal must name two
    /// different releases, both of which the folder's `vX.Y.Z_` file names really hold.
    @Test("the corpus folder mixes several releases and is refused as a whole")
    func mixedFolder() throws {
        let folder = UpstreamPaths.corpus("sagemaker-distribution")
        let releases = Set(
            try FileManager.default.contentsOfDirectory(atPath: folder).compactMap(DistributionReader.releaseHint))
        try #require(releases.count >= 2, "the folder holds \(releases.sorted())")
        let error = expectUpstreamError(.inconsistent, source: .distribution, messageContains: ["belongs to release"]) {
            _ = try UpstreamReaders.distribution(paths: [folder])
        }
        let named = releases.filter { release in error?.description.contains("release \(release)") == true }
        #expect(named.count == 2, "\(String(describing: error)) should name two of \(releases.sorted())")
    }

    @Test("v3.6.1: a title-only CHANGELOG-cpu.md is no changes; RELEASE.md and cpu.env.out are read")
    func distributionWithoutChanges() throws {
        let release = try UpstreamReaders.distribution(paths: [
            UpstreamPaths.corpus("sagemaker-distribution/v3.6.1_RELEASE.md"),
            UpstreamPaths.corpus("sagemaker-distribution/v3.6.1_CHANGELOG-cpu.md"),
            UpstreamPaths.corpus("sagemaker-distribution/v3.6.1_cpu.env.out.first40lines"),
        ])
        #expect(release.release == "3.6.1")
        #expect(release.kernels.first?.python == "3.12.9")
        #expect(release.version(of: "pytorch", in: "*") == "2.6.0")
        #expect(release.version(of: "llvm-openmp", in: "*") == "21.1.5")
        #expect(release.notes.contains("v3.6.1_CHANGELOG-cpu.md: title only, no package changes in this release"))
    }

    @Test("v2.7.2 RELEASE.md: the `@explicit|None|None` row is dropped with a note")
    func distributionJunkRow() throws {
        let release = try UpstreamReaders.distribution(paths: [
            UpstreamPaths.corpus("sagemaker-distribution/v2.7.2_RELEASE.md")
        ])
        #expect(release.release == "2.7.2")
        let names = release.kernels.first?.packages.map(\.name) ?? []
        #expect(names.count > 700)
        #expect(!names.contains { $0.lowercased() == "@explicit" })
        #expect(!(release.kernels.first?.packages.contains { $0.version == "None" } ?? true))
        #expect(
            release.notes.contains("v2.7.2_RELEASE.md line 5: row skipped, \"@explicit\" is not a conda package name"))
    }

    @Test("AL2 archived page: kernels named without a description get Python from the name, with a note")
    func al2ArchivedPython() throws {
        let release = try UpstreamReaders.awsDocs(path: UpstreamPaths.corpus("aws-docs/nbi-al2.md"))
        #expect(release.kernel(named: "conda_pytorch_p39")?.python == "3.9")
        #expect(release.kernel(named: "conda_tensorflow2_p310")?.python == "3.10")
        #expect(release.version(of: "python", in: "conda_mxnet_p38") == "3.8")
        #expect(release.kernel(named: "conda_python3")?.python == nil)
        #expect(
            release.notes.contains(
                "conda_pytorch_p39: the description states no Python version; took 3.9 from the kernel name"))
    }

    @Test("archived examples: a bare pip line, a shell cell writing a Dockerfile, wheel and git+https lines")
    func examplesArchived() throws {
        let mnist = ExamplesReader.scanNotebook(
            try Data(
                contentsOf: URL(
                    filePath: UpstreamPaths.corpus(
                        "examples-repo/archived__mnist__tensorflow2_smdataparallel_mnist_demo.ipynb"))),
            path: "mnist.ipynb")
        #expect(mnist.requirements.map { "\($0.package) \($0.spec)" } == ["sagemaker "])
        let forecast = ExamplesReader.scanNotebook(
            try Data(
                contentsOf: URL(
                    filePath: UpstreamPaths.corpus(
                        "examples-repo/archived__time_series_forecasting__amazon_forecast_pipeline__sm_pipeline_with_amazon_forecast.ipynb"
                    ))),
            path: "forecast.ipynb")
        #expect(forecast.requirements.map { "\($0.package) \($0.spec)" } == ["sagemaker ==2.93.0"])
        let lstnet = ExamplesReader.scanRequirementsFile(
            try UpstreamPaths.corpusText(
                "examples-repo/archived__deep_demand_forecasting__lstnet__requirements_train.txt"),
            path: "requirements_train.txt")
        #expect(lstnet.requirements.isEmpty)
        let lines = try UpstreamPaths.corpusText(
            "examples-repo/archived__deep_demand_forecasting__lstnet__requirements_train.txt"
        ).split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        #expect(lstnet.notes.count == lines.count)
        #expect(lstnet.notes.allSatisfy { $0.contains("not a package index requirement; skipped: ") })
    }

    @Test(
        "SDK change logs: newest version and date",
        arguments: [
            ("sagemaker-python-sdk/CHANGELOG-excerpt-b76191db.md", "2.212.0", "2024-03-06"),
            ("sagemaker-python-sdk/CHANGELOG-excerpt-002e75ae.md", "1.70.2", "2020-07-22"),
        ])
    func sdkChangelog(path: String, version: String, date: String) throws {
        let release = try UpstreamReaders.sdkChangelog(path: UpstreamPaths.corpus(path))
        #expect(release.release == version)
        #expect(release.published?.description == date)
        #expect(release.version(of: "sagemaker", in: "*") == version)
    }

    @Test("examples notebook cells: kernelspec and pip installs")
    func examplesCells() throws {
        let monitor = ExamplesReader.scanNotebook(
            try Data(
                contentsOf: URL(
                    filePath: UpstreamPaths.corpus(
                        "examples-repo/deploy_and_monitor__sm-model_monitor_batch_transform_data_quality_on_schedule__cell_and_metadata.json"
                    ))),
            path: "monitor.ipynb")
        #expect(monitor.problem == nil)
        #expect(
            monitor.kernelspec
                == "python3__SAGEMAKER_INTERNAL__arn:aws:sagemaker:us-east-1:081325390199:image/sagemaker-data-science-310-v1"
        )
        #expect(monitor.requirements.count == 3)
        let cell =
            "import sys\n\n! pip install --upgrade pip\n!{sys.executable} -m pip install sagemaker==2.114.0\n!{sys.executable} -m pip install -U boto3"
        #expect(
            ExamplesReader.pipInstallCommands(inCell: cell).map(\.arguments) == [
                ["--upgrade", "pip"], ["sagemaker==2.114.0"], ["-U", "boto3"],
            ])
        let mlflow = ExamplesReader.scanNotebook(
            try Data(
                contentsOf: URL(
                    filePath: UpstreamPaths.corpus("examples-repo/ml_ops__sm-mlflow_deployment__cell_and_metadata.json")
                )),
            path: "mlflow.ipynb")
        #expect(mlflow.kernelspec == "python3")
        #expect(mlflow.requirements.count == 1)
    }

    /// Needs the real PEP 508 parser to split names from specifiers.
    @Test("examples requirement files and cells: package and spec (PEP 508)")
    func examplesRequirements() throws {
        let quickStart = ExamplesReader.scanRequirementsFile(
            try UpstreamPaths.corpusText(
                "examples-repo/build_and_train_models__sm-remote_function_quick_start__requirements.txt"),
            path: "requirements.txt")
        #expect(quickStart.requirements.map { "\($0.package) \($0.spec)" } == ["pandas ", "sagemaker >=2.156.0,<3"])
        let pipelines = ExamplesReader.scanRequirementsFile(
            try UpstreamPaths.corpusText(
                "examples-repo/ml_ops__sm-pipelines_batch_inference_step_decorator__requirements.txt"),
            path: "requirements.txt")
        #expect(pipelines.requirements.first { $0.package == "sagemaker" }?.spec == ">=2.199.0,<3")
        #expect(pipelines.requirements.first { $0.package == "xgboost" }?.spec == "==1.7.1")
        let monitor = ExamplesReader.scanNotebook(
            try Data(
                contentsOf: URL(
                    filePath: UpstreamPaths.corpus(
                        "examples-repo/deploy_and_monitor__sm-model_monitor_batch_transform_data_quality_on_schedule__cell_and_metadata.json"
                    ))),
            path: "monitor.ipynb")
        #expect(monitor.requirements.map { "\($0.package) \($0.spec)" } == ["pip ", "sagemaker ==2.114.0", "boto3 "])
    }

    @Test("examples tree built from corpus files, with leading spaces in folder names")
    func examplesTree() throws {
        let root = FileManager.default.temporaryDirectory.appending(path: "smsync-corpus-tree-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let layout = [
            "     deploy_and_monitor/sm-model_monitor/sm-model_monitor.ipynb":
                "examples-repo/deploy_and_monitor__sm-model_monitor_batch_transform_data_quality_on_schedule__cell_and_metadata.json",
            "   ml_ops/sm-mlflow_deployment/sm-mlflow_deployment.ipynb":
                "examples-repo/ml_ops__sm-mlflow_deployment__cell_and_metadata.json",
            "   ml_ops/sm-pipelines_batch_inference_step_decorator/requirements.txt":
                "examples-repo/ml_ops__sm-pipelines_batch_inference_step_decorator__requirements.txt",
            "   build_and_train_models/sm-remote_function_quick_start/requirements.txt":
                "examples-repo/build_and_train_models__sm-remote_function_quick_start__requirements.txt",
        ]
        for (relative, source) in layout {
            let target = root.appending(path: relative)
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: URL(filePath: UpstreamPaths.corpus(source)), to: target)
        }
        let release = try ExamplesTree.scan(root: root.path, commit: "2d519b52")
        let summary = try #require(release.examples)
        #expect(summary.notebooks == 2)
        #expect(summary.kernelspecs["python3"] == 1)
        #expect(summary.kernelspecs.count == 2)
        #expect(summary.requirements.count == 3 + 1 + 7 + 2)
        #expect(summary.requirements.first?.file == "     deploy_and_monitor/sm-model_monitor/sm-model_monitor.ipynb")
    }
}
