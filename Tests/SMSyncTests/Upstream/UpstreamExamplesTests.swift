import Foundation
import SMSync
import SMSyncRuntime
import Testing

@Suite("Upstream examples repository")
struct UpstreamExamplesTests {
    static let tree = UpstreamPaths.fixture("examples/tree")

    @Test(
        "pip installs in code cells",
        arguments: [
            ("!pip install sagemaker", [["sagemaker"]]),
            ("! pip install --upgrade pip", [["--upgrade", "pip"]]),
            (
                "%pip install -q \"sagemaker>=2.200,<3\" xgboost==1.7.6",
                [["-q", "sagemaker>=2.200,<3", "xgboost==1.7.6"]]
            ),
            ("!{sys.executable} -m pip install -U boto3", [["-U", "boto3"]]),
            (
                "!python -m pip install --quiet --no-cache-dir 'sagemaker>=2,<3'",
                [["--quiet", "--no-cache-dir", "sagemaker>=2,<3"]]
            ),
            ("!pip install -U \\\n    boto3 \\\n    'pandas>=2.0,<3'", [["-U", "boto3", "pandas>=2.0,<3"]]),
            ("!pip install a > /dev/null 2>&1 && pip3 install b", [["a"], ["b"]]),
            ("!sudo /opt/conda/bin/pip install c; echo done # pip install d", [["c"]]),
            ("%%bash\npip install sagemaker-core==1.0.1 >/dev/null\n", [["sagemaker-core==1.0.1"]]),
            ("%%capture\n!pip install e", [["e"]]),
            ("%%writefile requirements.txt\n!pip install f", []),
            ("# !pip install g\nprint('!pip install h')\nimport os", []),
            ("%conda install -y numpy", []),
            ("!uv pip install i", [["i"]]),
            ("!pip install j &> /dev/null", [["j"]]),
            ("!pip install 'k<3' \"l>=1\" >> log.txt", [["k<3", "l>=1"]]),
            ("!pip install m 2>/dev/null", [["m"]]),
            ("!pip3.11 install n", [["n"]]),
        ])
    func pipCommands(cell: String, expected: [[String]]) {
        #expect(ExamplesReader.pipInstallCommands(inCell: cell).map(\.arguments) == expected)
    }

    @Test("an unquoted > inside an argument ends it there, as the shell reads it, and is flagged")
    func unquotedRedirect() throws {
        let commands = ExamplesReader.pipInstallCommands(inCell: "!pip install sagemaker>=2.215.0 \"boto3>=1\"")
        let command = try #require(commands.first)
        #expect(command.arguments == ["sagemaker", "boto3>=1"])
        #expect(command.redirectedArguments == [0])
        #expect(command.redirections == [0: "sagemaker>=2.215.0"])
    }

    @Test("a tree: notebooks, kernelspecs, files with requirements, notes")
    func tree() throws {
        let release = try ExamplesTree.scan(root: Self.tree, commit: "2d519b52aa")
        #expect(release.kind == .examples)
        #expect(release.release == "2d519b52aa")
        #expect(release.kernels.isEmpty)
        let summary = try #require(release.examples)
        #expect(summary.commit == "2d519b52aa")
        #expect(summary.notebooks == 5)
        #expect(summary.kernelspecs == ["conda_python3": 2, "conda_pytorch_p310": 1])
        #expect(
            Set(summary.requirements.map(\.file)) == [
                "   introduction_to_amazon_algorithms/xgboost_abalone/xgboost_abalone.ipynb",
                "   ml_ops/pipelines/pipelines.ipynb",
                " sagemaker-python-sdk/remote_function/quick_start.ipynb",
                " sagemaker-python-sdk/remote_function/requirements-extra.txt",
                " sagemaker-python-sdk/remote_function/requirements.txt",
                "legacy/no-kernelspec.ipynb",
            ])
        #expect(summary.requirements.count == 12)
        #expect(summary.requirements.map(\.file) == summary.requirements.map(\.file).sorted())
        #expect(release.notes.contains("   ml_ops/broken/broken.ipynb: not a JSON notebook; skipped"))
        #expect(release.notes.contains("1 notebooks name no kernelspec"))
        #expect(
            release.notes.contains(
                "   ml_ops/pipelines/pipelines.ipynb: requirement with an unresolved variable skipped: {package_name}=={version}"
            ))
    }

    /// Needs the real PEP 508 parser (`PEP508Requirement.parse`) to split names from specifiers.
    @Test("a tree: each requirement with its package, spec and file (PEP 508)")
    func treeRequirements() throws {
        let release = try ExamplesTree.scan(root: Self.tree, commit: nil)
        let found = release.examples?.requirements.map { "\($0.package) \($0.spec) @\($0.file)" } ?? []
        #expect(
            found == [
                "sagemaker >=2.200,<3 @   introduction_to_amazon_algorithms/xgboost_abalone/xgboost_abalone.ipynb",
                "xgboost ==1.7.6 @   introduction_to_amazon_algorithms/xgboost_abalone/xgboost_abalone.ipynb",
                "sagemaker-core ==1.0.1 @   ml_ops/pipelines/pipelines.ipynb",
                "sagemaker  @   ml_ops/pipelines/pipelines.ipynb",
                "sagemaker ==2.219.0 @ sagemaker-python-sdk/remote_function/quick_start.ipynb",
                "boto3  @ sagemaker-python-sdk/remote_function/quick_start.ipynb",
                "pandas >=2.0,<3 @ sagemaker-python-sdk/remote_function/quick_start.ipynb",
                "xgboost ==1.7.1 @ sagemaker-python-sdk/remote_function/requirements-extra.txt",
                "sagemaker >=2.156.0,<3 @ sagemaker-python-sdk/remote_function/requirements.txt",
                "pandas  @ sagemaker-python-sdk/remote_function/requirements.txt",
                "scikit-learn ==1.3.2 @ sagemaker-python-sdk/remote_function/requirements.txt",
                "sagemaker ==1.72.0 @legacy/no-kernelspec.ipynb",
            ])
        #expect(release.notes.contains { $0.contains("unquoted \"sagemaker[local]>=2.215.0\"") })
        #expect(release.notes.contains("no commit given; the release id is unknown"))
    }

    @Test("a tree without notebooks")
    func noNotebooks() {
        expectUpstreamError(
            .missingContent, source: .examples, messageContains: ["no-notebooks", "no .ipynb notebooks"]
        ) {
            _ = try ExamplesTree.scan(root: UpstreamPaths.fixture("examples/no-notebooks"), commit: nil)
        }
    }

    @Test("a tree whose notebooks are all unreadable")
    func allBroken() throws {
        let root = try temporaryTree(["a/one.ipynb": "not json", "b/two.ipynb": "[1, 2]"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        expectUpstreamError(
            .missingContent, source: .examples, messageContains: ["found 2 notebooks but none could be read"]
        ) {
            _ = try ExamplesTree.scan(root: root, commit: nil)
        }
    }

    @Test("caps: entries and total bytes are errors; one oversized notebook is skipped with a note")
    func caps() throws {
        let small = #"{"cells": [], "metadata": {"kernelspec": {"name": "conda_python3"}}, "nbformat": 4}"#
        let big =
            #"{"cells": [], "metadata": {}, "nbformat": 4, "pad": ""# + String(repeating: "x", count: 4000) + #""}"#
        let root = try temporaryTree(["a/small.ipynb": small, "b/big.ipynb": big, "c/d/e/f.txt": "other"])
        defer { try? FileManager.default.removeItem(atPath: root) }
        expectUpstreamError(.tooLarge, source: .examples, messageContains: ["more than 3 entries", "--max-files"]) {
            _ = try ExamplesTree.scan(root: root, commit: nil, limits: UpstreamLimits(maxTreeEntries: 3))
        }
        expectUpstreamError(
            .tooLarge, source: .examples, messageContains: ["more than 1000 bytes", "--max-total-bytes"]
        ) {
            _ = try ExamplesTree.scan(root: root, commit: nil, limits: UpstreamLimits(maxTreeBytes: 1000))
        }
        let release = try ExamplesTree.scan(root: root, commit: nil, limits: UpstreamLimits(maxBytesPerFile: 1000))
        #expect(release.examples?.notebooks == 2)
        #expect(release.examples?.kernelspecs == ["conda_python3": 1])
        #expect(
            release.notes.contains { $0.hasPrefix("b/big.ipynb: ") && $0.contains("above the per-file limit of 1000") })
    }

    @Test("requirements files: comments, options, continuations, hashes")
    func requirementsFile() {
        let scan = ExamplesReader.scanRequirementsFile(
            "# comment\nsagemaker>=2  # trailing\n-r other.txt\n--index-url https://x\n\nnumpy==1.26.4 \\\n  --hash=sha256:00\n",
            path: "requirements.txt")
        #expect(scan.requirements.count == 2)
        #expect(scan.requirements.allSatisfy { $0.file == "requirements.txt" })
    }

    /// Builds a temporary tree of text files; returns its root.
    func temporaryTree(_ files: [String: String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appending(path: "smsync-examples-\(UUID().uuidString)")
        for (relative, text) in files {
            let url = root.appending(path: relative)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return root.path
    }
}
