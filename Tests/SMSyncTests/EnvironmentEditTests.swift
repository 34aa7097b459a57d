import Foundation
import Testing

@testable import SMSync

@Suite("Environment files: lossless edits")
struct EnvironmentEditTests {
    struct EditCase: CustomTestStringConvertible, Sendable {
        var file: String
        var package: String
        var version: String
        var manager: PackageManager? = nil
        /// Each pair is replaced once in the original text to give the expected file; empty: no change.
        var replacements: [(String, String)]
        var testDescription: String { "\(file): \(package) → \(version)" }
    }

    static let edits: [EditCase] = [
        EditCase(
            file: "quoting.yml", package: "numpy", version: "1.20.0",
            replacements: [("\"numpy=1.19.5\"", "\"numpy=1.20.0\"")]),
        EditCase(
            file: "quoting.yml", package: "pandas", version: "1.2.0",
            replacements: [("'pandas==1.1.5'", "'pandas==1.2.0'")]),
        EditCase(
            file: "quoting.yml", package: "scipy", version: "1.6.0",
            replacements: [("- scipy 1.5.3 ", "- scipy 1.6.0 ")]),
        EditCase(
            file: "quoting.yml", package: "matplotlib", version: "3.4.1",
            replacements: [("&mpl matplotlib>=3.3.0", "&mpl matplotlib>=3.4.1")]),
        EditCase(
            file: "quoting.yml", package: "pyarrow", version: "4.0.0",
            replacements: [("pyarrow=3.0.0=py36h1234567_0", "pyarrow=4.0.0")]),
        EditCase(
            file: "quoting.yml", package: "xgboost", version: "1.7.0",
            replacements: [("version='>=1.3,<2'", "version='>=1.7.0,<2'")]),
        EditCase(
            file: "quoting.yml", package: "tabbed", version: "1.1",
            replacements: [("\"tabbed=1.0\"  # a\ttab", "\"tabbed=1.1\"  # a\ttab")]),
        EditCase(
            file: "quoting.yml", package: "scikit-learn", version: "1.0.2",
            replacements: [("Scikit_Learn==0.24.2", "Scikit_Learn==1.0.2")]),
        EditCase(
            file: "quoting.yml", package: "REQUESTS", version: "2.31.0",
            replacements: [("requests >= 2.25 ;", "requests >= 2.31.0 ;")]),
        EditCase(
            file: "crlf.yml", package: "numpy", version: "1.20.0",
            replacements: [("numpy=1.19.5=py36h2aa4a07_1\r\n", "numpy=1.20.0\r\n")]),
        EditCase(
            file: "crlf.yml", package: "sagemaker", version: "2.59.2",
            replacements: [("sagemaker==2.48.1\r\n", "sagemaker==2.59.2\r\n")]),
        EditCase(
            file: "no-final-newline.yml", package: "boto3", version: "1.10.0",
            replacements: [("boto3==1.9.0", "boto3==1.10.0")]),
        EditCase(
            file: "flow.yml", package: "numpy", version: "1.21.0",
            replacements: [("\"numpy==1.20.3\"", "\"numpy==1.21.0\"")]),
        EditCase(
            file: "flow.yml", package: "python", version: "3.8.12",
            replacements: [("[python=3.8.10,", "[python=3.8.12,")]),
        EditCase(
            file: "flow.yml", package: "sagemaker", version: "2.50.0",
            replacements: [("'sagemaker==2.40.0'", "'sagemaker==2.50.0'")]),
        EditCase(
            file: "aliases.yml", package: "numpy", version: "1.22.0",
            replacements: [("&numpy numpy=1.21.0", "&numpy numpy=1.22.0")]),
        EditCase(
            file: "ranges.yml", package: "numpy", version: "1.26.4",
            replacements: [("numpy>=1.16,<2", "numpy>=1.26.4,<2")]),
        EditCase(file: "ranges.yml", package: "urllib3", version: "1.26.18", replacements: []),
        EditCase(
            file: "ranges.yml", package: "ray-default", version: "2.10.0",
            replacements: [("ray-default 2.9.*", "ray-default 2.10.*")]),
        EditCase(
            file: "ranges.yml", package: "protobuf", version: "3.20.3",
            replacements: [("protobuf>=3.20,<4", "protobuf>=3.20.3,<4")]),
        EditCase(
            file: "ranges.yml", package: "awscli", version: "1.32.0",
            replacements: [("awscli~=1.29.0", "awscli~=1.32.0")]),
        EditCase(
            file: "ambiguous.yml", package: "numpy", version: "1.20.0", manager: .pip,
            replacements: [("numpy==1.19.5", "numpy==1.20.0")]),
        EditCase(
            file: "ambiguous.yml", package: "numpy", version: "1.20.0", manager: .conda,
            replacements: [("numpy=1.19.5", "numpy=1.20.0")]),
    ]

    @Test(arguments: edits)
    func changesOnlyTheVersionText(_ edit: EditCase) throws {
        let url = TestPaths.fixture("env/\(edit.file)")
        let original = try TestPaths.text(url)
        let file = try EnvironmentFile(text: original, path: url.path)
        let result = try file.settingVersion(of: edit.package, to: edit.version, manager: edit.manager)
        var expected = original
        for (old, new) in edit.replacements {
            let range = try #require(expected.range(of: old), "fixture lacks \(old.debugDescription)")
            expected.replaceSubrange(range, with: new)
        }
        #expect(Array(result.text.utf8) == Array(expected.utf8))
        #expect(result.edits.count == (edit.replacements.isEmpty ? 0 : 1))
        // The edited file reads back with the new version.
        let reread = try EnvironmentFile(text: result.text, path: url.path)
        let entry = try #require(reread.dependencies(named: edit.package, manager: edit.manager).first)
        if let new = edit.replacements.first?.1 {
            #expect(entry.versionText.map { new.contains($0) } == true)
        }
    }

    @Test func dropsTheBuildButKeepsTheChannel() throws {
        let url = TestPaths.fixture("env/quoting.yml")
        let file = try EnvironmentFile(text: try TestPaths.text(url), path: url.path)
        let result = try file.settingVersion(of: "pyarrow", to: "4.0.0")
        #expect(result.edits.first?.droppedBuild == "py36h1234567_0")
        let reread = try EnvironmentFile(text: result.text, path: url.path)
        let pyarrow = try #require(reread.dependencies(named: "pyarrow").first)
        #expect(pyarrow.channel == "conda-forge")
        #expect(pyarrow.build == nil)
    }

    struct RefusalCase: CustomTestStringConvertible, Sendable {
        var file: String
        var package: String
        var version: String
        var manager: PackageManager? = nil
        var code: EnvironmentFileError.Code
        var fragment: String
        var testDescription: String { "\(file): \(package) → \(version.debugDescription)" }
    }

    static let refusals: [RefusalCase] = [
        RefusalCase(
            file: "ranges.yml", package: "numpy", version: "2.1.0", code: .rangeExcludes,
            fragment: "is a range that 2.1.0 does not fit"),
        RefusalCase(file: "ranges.yml", package: "urllib3", version: "2.0.0", code: .rangeExcludes, fragment: "<2"),
        RefusalCase(
            file: "quoting.yml", package: "xgboost", version: "2.0.1", code: .rangeExcludes, fragment: "xgboost"),
        RefusalCase(file: "ranges.yml", package: "cuda-version", version: "12.1", code: .notEditable, fragment: "|"),
        RefusalCase(file: "quoting.yml", package: "sagemaker", version: "2.0", code: .unpinned, fragment: "unpinned"),
        RefusalCase(
            file: "quoting.yml", package: "project", version: "2.0", code: .notARequirement,
            fragment: "not a requirement"),
        RefusalCase(file: "quoting.yml", package: "absent", version: "1.0", code: .packageNotFound, fragment: "absent"),
        RefusalCase(
            file: "ambiguous.yml", package: "numpy", version: "1.20.0", code: .ambiguousPackage,
            fragment: "--manager"),
        RefusalCase(file: "quoting.yml", package: "numpy", version: "1.0\n- evil", code: .invalidVersion, fragment: ""),
        RefusalCase(file: "quoting.yml", package: "numpy", version: "1.0 # c", code: .invalidVersion, fragment: ""),
        RefusalCase(file: "quoting.yml", package: "numpy", version: "1.0\"", code: .invalidVersion, fragment: ""),
        RefusalCase(file: "quoting.yml", package: "numpy", version: "1.0'", code: .invalidVersion, fragment: ""),
        RefusalCase(file: "quoting.yml", package: "numpy", version: "1:0", code: .invalidVersion, fragment: ""),
        RefusalCase(file: "quoting.yml", package: "numpy", version: "$(reboot)", code: .invalidVersion, fragment: ""),
        RefusalCase(file: "quoting.yml", package: "numpy", version: "1.0;ls", code: .invalidVersion, fragment: ""),
        RefusalCase(file: "quoting.yml", package: "numpy", version: "1..0", code: .invalidVersion, fragment: ""),
        RefusalCase(
            file: "quoting.yml", package: "pandas", version: "1!0!1", code: .invalidVersion, fragment: ""),
        RefusalCase(
            file: "quoting.yml", package: "scikit-learn", version: "1.0-foo", code: .invalidVersion, fragment: ""),
        RefusalCase(file: "quoting.yml", package: "numpy; rm", version: "1.0", code: .invalidName, fragment: ""),
        RefusalCase(file: "quoting.yml", package: "numpy:x", version: "1.0", code: .invalidName, fragment: ""),
    ]

    @Test(arguments: refusals)
    func refusesWithAClearMessage(_ refusal: RefusalCase) throws {
        let url = TestPaths.fixture("env/\(refusal.file)")
        let file = try EnvironmentFile(text: try TestPaths.text(url), path: url.path)
        let error = #expect(throws: EnvironmentFileError.self) {
            try file.settingVersion(of: refusal.package, to: refusal.version, manager: refusal.manager)
        }
        #expect(error?.code == refusal.code, "\(error?.description ?? "")")
        if !refusal.fragment.isEmpty {
            #expect(error?.description.contains(refusal.fragment) == true, "\(error?.description ?? "")")
        }
    }

    @Test func theProofCatchesAnEditThatTouchesAnotherEntry() throws {
        let url = TestPaths.fixture("env/quoting.yml")
        let original = try TestPaths.text(url)
        let file = try EnvironmentFile(text: original, path: url.path)
        let numpy = try #require(file.dependencies(named: "numpy").first)
        let tampered = original.replacingOccurrences(of: "pandas==1.1.5", with: "pandas==9.9.9")
            .replacingOccurrences(of: "numpy=1.19.5", with: "numpy=1.20.0")
        #expect(throws: EnvironmentFileError.self) {
            try file.proveOnlyChanged(tampered, edited: [(numpy, "=1.20.0")])
        }
        let honest = original.replacingOccurrences(of: "numpy=1.19.5", with: "numpy=1.20.0")
        try file.proveOnlyChanged(honest, edited: [(numpy, "=1.20.0")])
    }
}
