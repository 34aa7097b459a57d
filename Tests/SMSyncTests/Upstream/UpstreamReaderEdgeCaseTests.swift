import Foundation
import SMSync
import SMSyncRuntime
import Testing

/// Release files and examples as AWS really publishes them (issue 9), on minimised fixtures that CI always has.
@Suite("Upstream readers on real-world edge cases (fixtures)")
struct UpstreamReaderEdgeCaseTests {
    static let edgeCases = UpstreamPaths.fixture("examples/edge-cases")

    // MARK: sagemaker-distribution

    @Test("a title-only CHANGELOG means no package changes; RELEASE.md and cpu.env.out are still read")
    func titleOnlyChangelog() throws {
        let release = try UpstreamReaders.distribution(paths: [UpstreamPaths.fixture("distribution/v3.6.1")])
        #expect(release.release == "3.6.1")
        #expect(release.version(of: "pytorch", in: "*") == "2.6.0")
        #expect(release.kernels.first?.packages.first { $0.name == "numpy" }?.build == "py312heda63a1_0")
        #expect(release.notes.contains("CHANGELOG-cpu.md: title only, no package changes in this release"))
        #expect(release.notes.contains { $0.contains("CHANGELOG-cpu.md (0 packages)") })
        let alone = try DistributionReader.readChangelog(
            DistributionFile(location: "v3.6.1/CHANGELOG-cpu.md", text: "# Change log: 3.6.1(cpu)\r\n\r\n"),
            variant: .cpu)
        #expect(alone.release == "3.6.1")
        #expect(alone.packages.isEmpty)
    }

    @Test("a change log alone lists no packages: refused, and the message says what to add")
    func titleOnlyChangelogAlone() {
        expectUpstreamError(.missingContent, source: .distribution, messageContains: ["give RELEASE.md"]) {
            _ = try UpstreamReaders.distribution(paths: [UpstreamPaths.fixture("distribution/v3.6.1/CHANGELOG-cpu.md")])
        }
    }

    @Test("a change log with text but no table is still a changed layout")
    func changelogWithoutTable() {
        let file = DistributionFile(
            location: "v3.6.2/CHANGELOG-cpu.md", text: "# Change log: 3.6.2(cpu)\n\nPackages moved to a new page.\n")
        expectUpstreamError(.missingContent, source: .distribution, messageContains: ["table"]) {
            _ = try DistributionReader.readChangelog(file, variant: .cpu)
        }
    }

    @Test("RELEASE.md junk rows (`@explicit|None|None`, a None version) are dropped with a note naming the line")
    func junkRows() throws {
        let release = try UpstreamReaders.distribution(paths: [UpstreamPaths.fixture("distribution/v2.7.2/RELEASE.md")])
        let names = release.kernels.first?.packages.map(\.name) ?? []
        #expect(names == ["numpy", "python"])
        #expect(release.notes.contains("RELEASE.md line 6: row skipped, \"@explicit\" is not a conda package name"))
        #expect(release.notes.contains("RELEASE.md line 9: row skipped, boto3 has no version (\"None\")"))
        #expect(!release.notes.contains { $0.contains("py-xgboost-gpu") })
        let gpu = try UpstreamReaders.distribution(
            paths: [UpstreamPaths.fixture("distribution/v2.7.2/RELEASE.md")], variant: .gpu)
        #expect(gpu.version(of: "boto3", in: "*") == "1.34.162")
        #expect(gpu.version(of: "py-xgboost-gpu", in: "*") == "2.0.3")
    }

    @Test(
        "which package-table rows are junk",
        arguments: [
            ("@explicit", "None", true), ("numpy", "None", true), ("numpy", "none", true), ("numpy", "1.26.4", false),
            ("_openmp_mutex", "4.5", false), ("r-base", "4.4.1", false), ("ca-certificates", "2025.1.31", false),
            ("numpy", "", false), ("-x", "1.0", true), ("two words", "1.0", true),
            ("nümpy", "1.0", true),
        ])
    func junkRowRule(name: String, version: String, junk: Bool) throws {
        let text =
            "# Release notes: 1.0.0\n\nPackage | gpu| cpu\n---|---|---\npython|3.12.9|3.12.9\n\(name)|x|\(version)\n"
        let notesFile = try DistributionReader.readReleaseNotes(
            DistributionFile(location: "v1.0.0/RELEASE.md", text: text), variant: .cpu)
        #expect(notesFile.notes.count == (junk ? 1 : 0), "\(notesFile.notes)")
        #expect(notesFile.packages.count == (junk || version.isEmpty ? 1 : 2))
    }

    // MARK: examples repository

    @Test("a bare `pip install` line in a code cell is an install (IPython's automagic runs it as %pip)")
    func barePip() throws {
        let scan = try notebook("mnist/mnist_demo.ipynb")
        #expect(scan.requirements.map { "\($0.package) \($0.spec)" } == ["sagemaker "])
        #expect(scan.kernelspec == "conda_tensorflow2_p310")
        #expect(
            ExamplesReader.pipInstallCommands(inCell: "import os\npip install -q boto3\nprint('pip install x')").map(
                \.arguments) == [["-q", "boto3"]])
    }

    @Test("text a shell cell writes into a file (printf > Dockerfile, a heredoc, echo >>) is not an install")
    func shellWritesFiles() throws {
        let scan = try notebook("forecast/forecast.ipynb")
        #expect(scan.requirements.map { "\($0.package) \($0.spec)" } == ["sagemaker ==2.93.0", "sagemaker "])
        #expect(!scan.requirements.contains { ["n", "boto3", "botocore", "pandas", "numpy"].contains($0.package) })
    }

    @Test(
        "shell scripts: quotes across lines, heredocs, commands that only mention pip",
        arguments: [
            ("%%bash\nprintf \"RUN pip install a==1 \\n\nRUN pip install b \" > Dockerfile\npip install c", [["c"]]),
            ("%%sh\ncat <<EOF > requirements.txt\npip install a\nEOF\npip install b", [["b"]]),
            ("%%sh\ncat <<-'END' >> r.txt\n\tpip install a\n\tEND\npip install b", [["b"]]),
            ("%%bash\ntee r.txt << \"EOF\"\npip install a\nEOF", []),
            ("%%bash\necho pip install a >> requirements.txt\necho \"pip install b\" > r.txt", []),
            ("!echo pip install a > requirements.txt", []),
            ("%%bash\nif true; then pip install a; fi\nPIP_NO_INPUT=1 pip install b", [["a"], ["b"]]),
            ("%%bash\npip install \\\n  a \\\n  b", [["a", "b"]]),
            ("%%bash\ncat <<< \"pip install a\"\n(cd x && pip install b)", [["b"]]),
            ("!env FOO=1 python3 -m pip install a", [["a"]]),
            ("!python -c 'import pip' -m pip", []),
        ])
    func shellScripts(cell: String, expected: [[String]]) {
        #expect(ExamplesReader.pipInstallCommands(inCell: cell).map(\.arguments) == expected)
    }

    @Test("unquoted `sagemaker>=2.215.0`: the shell redirects, so the entry has no spec, and a note says why")
    func unquotedRedirect() throws {
        let scan = try notebook("forecast/forecast.ipynb")
        let last = try #require(scan.requirements.last)
        #expect(last.package == "sagemaker")
        #expect(last.spec.isEmpty)
        #expect(
            scan.notes.contains(
                " archived/forecast/forecast.ipynb: unquoted \"sagemaker>=2.215.0\": the shell reads > or < as a redirection, so pip gets no version constraint"
            ))
        let command = try #require(ExamplesReader.pipInstallCommands(inCell: "!pip install 'a>=1' b<2 c>=3,<4").first)
        #expect(command.arguments == ["a>=1", "b", "c"])
        #expect(command.redirections == [1: "b<2", 2: "c>=3,<4"])
    }

    @Test("wheel paths, archives and git+https lines are skipped with a note; `== 4.38.0` is normalised")
    func requirementsFileLines() throws {
        let text = try String(
            contentsOfFile: Self.edgeCases + "/ archived/lstnet/requirements_train.txt", encoding: .utf8)
        let scan = ExamplesReader.scanRequirementsFile(text, path: "lstnet/requirements_train.txt")
        #expect(scan.requirements.map { "\($0.package) \($0.spec)" } == ["transformers ==4.38.0"])
        #expect(scan.notes.count == 3)
        #expect(
            scan.notes.first
                == "lstnet/requirements_train.txt line 1: local path, not a package index requirement; skipped: dependencies/altair-4.1.0-py3-none-any.whl"
        )
        #expect(scan.notes.contains { $0.hasPrefix("lstnet/requirements_train.txt line 3: VCS URL") })
        let cell = ExamplesReader.requirements(
            from: ExamplesReader.PipInstallCommand(arguments: ["./dist/x-1.0-py3-none-any.whl", "a >= 1 , < 2"]),
            file: "n.ipynb")
        #expect(cell.requirements.map(\.spec) == [">=1,<2"])
        #expect(
            cell.notes == [
                "n.ipynb: local path, not a package index requirement; skipped: ./dist/x-1.0-py3-none-any.whl"
            ])
    }

    @Test("the edge-case tree as a whole")
    func tree() throws {
        let release = try ExamplesTree.scan(root: Self.edgeCases, commit: "2d519b52")
        let summary = try #require(release.examples)
        #expect(summary.notebooks == 2)
        #expect(
            summary.requirements.map { "\($0.package) \($0.spec)" } == [
                "sagemaker ==2.93.0", "sagemaker ", "transformers ==4.38.0", "sagemaker ",
            ])
        #expect(release.notes.filter { $0.contains("not a package index requirement") }.count == 3)
    }

    // MARK: AWS docs

    @Test("a kernel table without descriptions: Python comes from the kernel name, and a note says so")
    func pythonFromKernelName() throws {
        let release = try UpstreamReaders.awsDocs(path: UpstreamPaths.fixture("aws-docs/kernel-names-only.md"))
        #expect(
            release.kernels.map(\.kernel) == [
                "conda_mxnet_p38", "conda_python3", "conda_pytorch_p39", "conda_tensorflow2_p310",
            ])
        #expect(release.kernel(named: "conda_pytorch_p39")?.python == "3.9")
        #expect(release.version(of: "python", in: "conda_tensorflow2_p310") == "3.10")
        #expect(release.kernel(named: "conda_python3")?.python == nil)
        #expect(
            release.notes.contains(
                "conda_tensorflow2_p310: the description states no Python version; took 3.10 from the kernel name"))
        #expect(!release.notes.contains { $0.hasPrefix("conda_python3:") })
    }

    @Test(
        "Python versions in kernel names",
        arguments: [
            ("conda_pytorch_p310", "3.10"), ("conda_mxnet_p27", "2.7"), ("conda_amazonei_pytorch_latest_p37", "3.7"),
            ("conda_python3", nil), ("conda_pytorch", nil), ("conda_p310", "3.10"), ("conda_pytorch_p310x", nil),
        ] as [(String, String?)])
    func kernelNamePython(name: String, expected: String?) {
        #expect(AWSDocsReader.pythonVersion(fromKernelName: name) == expected)
    }

    @Test("a stated Python version wins over the kernel name, without a note")
    func statedPythonWins() throws {
        let text =
            "| Kernel name | Description |\n| --- | --- |\n| conda\\_pytorch\\_p310 | Comes with Python 3.11. |\n"
        let release = try AWSDocsReader.readMarkdown(text, location: "page.md")
        #expect(release.kernel(named: "conda_pytorch_p310")?.python == "3.11")
        #expect(!release.notes.contains { $0.contains("kernel name") })
    }

    func notebook(_ relative: String) throws -> NotebookScan {
        let path = " archived/" + relative
        let data = try Data(contentsOf: URL(filePath: Self.edgeCases + "/" + path))
        return ExamplesReader.scanNotebook(data, path: path)
    }
}
