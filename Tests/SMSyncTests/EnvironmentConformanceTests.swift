import Foundation
import Testing

@testable import SMSync

/// Environment files as real repositories write them (issue 9): each class has a minimised fixture under
/// `Fixtures/env/`; the expectations were checked against PyYAML 6.0.3, ruamel.yaml 0.19 and py-rattler 0.28.
@Suite("Environment files: conformance with conda")
struct EnvironmentConformanceTests {
    static func load(_ name: String) throws -> (EnvironmentFile, [UInt8]) {
        let url = TestPaths.fixture("env/\(name)")
        let bytes = try TestPaths.bytes(url)
        return (try EnvironmentFile(bytes: bytes, path: url.path), bytes)
    }

    /// Replaces `old` (once) in `text`.
    static func replacing(_ old: String, with new: String, in text: String) throws -> String {
        let range = try #require(text.range(of: old), "fixture lacks \(old.debugDescription)")
        return text.replacingCharacters(in: range, with: new)
    }

    // MARK: A space after the operator

    @Test func aSpaceAfterTheOperatorReadsAsConda() throws {
        let (file, _) = try Self.load("operator-spacing.yml")
        // rattler: `python >= 3.8` → >=3.8, `pytorch== 1.7.0` → ==1.7.0, `pvl = 1.0` → 1.0.*.
        let cases: [(String, String, Bool)] = [
            ("python", "3.11", true), ("python", "3.7", false), ("pytorch", "1.7.0", true), ("pytorch", "1.7.1", false),
            ("pvl", "1.0.5", true), ("pvl", "1.1", false), ("numpy", "1.26.4", true), ("numpy", "2.0", false),
        ]
        for (name, version, expected) in cases {
            let entry = try #require(file.dependencies(named: name).first)
            guard case .conda(let spec) = entry.requirement else {
                Issue.record("\(name) is not a conda entry")
                continue
            }
            let matches = try #require(spec.version).matches(try CondaVersion(version))
            #expect(matches == expected, "\(entry.raw) against \(version)")
        }
    }

    @Test(arguments: [
        ("python", "3.11", "python >= 3.8", "python >= 3.11"),
        ("pytorch", "1.8.0", "pytorch== 1.7.0", "pytorch== 1.8.0"),
        ("pvl", "1.1", "pvl = 1.0", "pvl = 1.1"),
        ("numpy", "1.26.4", "numpy >= 1.16 , < 2", "numpy >= 1.26.4 , < 2"),
        ("requests", "2.31.0", "requests >= 2.25", "requests >= 2.31.0"),
    ])
    func aSpaceAfterTheOperatorIsKeptByAnEdit(
        _ package: String, _ version: String, _ old: String, _ new: String
    )
        throws
    {
        let (file, _) = try Self.load("operator-spacing.yml")
        let edit = try file.settingVersion(of: package, to: version)
        #expect(edit.text == (try Self.replacing(old, with: new, in: file.text)))
        #expect(edit.edits.count == 1)
    }

    // MARK: Encodings

    @Test(arguments: [
        ("utf8-bom.yml", TextEncoding.utf8BOM), ("utf16le-bom.yml", .utf16LE), ("utf16be-bom.yml", .utf16BE),
    ])
    func byteOrderMarksAreReadAndWrittenBack(_ name: String, _ encoding: TextEncoding) throws {
        let (file, bytes) = try Self.load(name)
        #expect(file.encoding == encoding)
        #expect(file.dependencies.map(\.raw) == ["numpy=1.19.5", "sagemaker==2.48.1"])
        let edit = try file.settingVersion(of: "sagemaker", to: "2.59.2")
        let expected = encoding.encode(
            try Self.replacing("sagemaker==2.48.1", with: "sagemaker==2.59.2", in: file.text))
        #expect(edit.bytes == expected)
        #expect(edit.bytes.prefix(2) == bytes.prefix(2))
        // Unchanged text encodes back to the very bytes that were read.
        #expect(encoding.encode(file.text) == bytes)
        let reread = try EnvironmentFile(bytes: edit.bytes, path: name)
        #expect(reread.encoding == encoding)
        #expect(reread.dependencies(named: "sagemaker").first?.versionText == "==2.59.2")
    }

    @Test func utf16WithoutAByteOrderMarkIsRefusedWithAHint() {
        let bytes = Array("name: x\n".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let error = #expect(throws: EnvironmentFileError.self) { try EnvironmentFile(bytes: bytes, path: "x.yml") }
        #expect(error?.code == .notText)
        #expect(error?.description.contains("byte-order mark") == true)
    }

    // MARK: Accept what conda accepts, refuse what it refuses

    @Test func aBracketWithoutKeyValueIsDroppedAsCondaDoes() throws {
        let (file, _) = try Self.load("conda-extras.yml")
        let pymongo = try #require(file.dependencies(named: "pymongo").first)
        #expect(pymongo.versionText == "==4.2.0")
        #expect(file.notes.contains { $0.contains("line 4") && $0.contains("[srv]") })
        let edit = try file.settingVersion(of: "pymongo", to: "4.6.0")
        #expect(edit.text == (try Self.replacing("pymongo[srv]==4.2.0", with: "pymongo[srv]==4.6.0", in: file.text)))
        // Outside an environment file the strict reading stays.
        #expect(throws: VersionError.self) { try CondaMatchSpec.parse("pymongo[srv]==4.2.0") }
    }

    @Test(arguments: [
        ("bad-tab-before-comment.yml", EnvironmentFileError.Code.tabCharacter, 3, "numpy=1.0\\t# a tab"),
        ("bad-tab-end-of-line.yml", .tabCharacter, 3, "numpy=1.0\\t\""),
        ("bad-python-tag.yml", .unsupportedTag, 2, "!!python/tuple"),
    ])
    func yamlThatCondaRefusesIsRefused(_ name: String, _ code: EnvironmentFileError.Code, _ line: Int, _ value: String)
    {
        let error = #expect(throws: EnvironmentFileError.self) { try Self.load(name) }
        #expect(error?.code == code)
        #expect(error?.line == line)
        #expect(error?.description.contains(name) == true)
        #expect(error?.description.contains(value) == true, "\(error?.description ?? "")")
    }

    @Test func tabsInsideCommentsQuotesAndBlockScalarsAreFine() throws {
        let (file, _) = try Self.load("tab-in-comment.yml")
        #expect(file.dependencies.map(\.raw) == ["numpy=1.0", "pandas=2.0"])
        let edit = try file.settingVersion(of: "numpy", to: "1.1")
        #expect(edit.edits.count == 1)
    }

    /// Each text was run through `yaml.safe_load` (PyYAML 6.0.3): `true` where it loads.
    static let pyyamlVerdicts: [(String, Bool)] = [
        ("name: x\ndependencies:\n  - numpy=1.0\t# c\n", false),
        ("name: x\ndependencies:\n  - numpy=1.0\t\n", false),
        ("name:\tx\ndependencies:\n  - numpy=1.0\n", false),
        ("name: x\ndependencies:\n  -\tnumpy=1.0\n", false),
        ("name: x\ndependencies:\n  - numpy\t1.0\n", false),
        ("name: x\nchannels: [a,\tb]\ndependencies:\n  - numpy=1.0\n", false),
        ("name: x\ndependencies:\t\n  - numpy=1.0\n", false),
        ("name: x\n\t# an indented comment\ndependencies:\n  - numpy=1.0\n", false),
        ("name: 'x'\t\ndependencies:\n  - numpy=1.0\n", false),
        ("name: x\ndependencies:\n  - numpy=1.0 # a\tb\n", true),
        ("# a\tcomment\t\nname: x\ndependencies:\n  - numpy=1.0\n", true),
        ("name: \"x\ty\"\ndependencies:\n  - numpy=1.0\n", true),
        ("name: 'x\ty'\ndependencies:\n  - numpy=1.0\n", true),
        ("name: x\nx-note: |\n  a\ttab\n\tb\ndependencies:\n  - numpy=1.0\n", false),
        ("name: x\nx-note: |\n  a\ttab\n  \tb\ndependencies:\n  - numpy=1.0\n", true),
        ("name: x\ndependencies:\n  - numpy=1.0\nx-note: >\n    folded\ttab\n", true),
        ("name: x\nx: !!python/tuple [a]\ndependencies:\n  - numpy=1.0\n", false),
        ("name: x\nx: !custom a\ndependencies:\n  - numpy=1.0\n", false),
        ("name: x\ndependencies:\n  - !!str numpy=1.0\n", true),
        ("name: !!python/str x\ndependencies:\n  - numpy=1.0\n", false),
        ("name: x\nx: !!set {a, b}\ndependencies:\n  - numpy=1.0\n", true),
    ]

    @Test(arguments: pyyamlVerdicts)
    func tabsAndTagsFollowPyYAML(_ text: String, _ loads: Bool) {
        let result = Result { () throws(EnvironmentFileError) in try EnvironmentFile(text: text, path: "t.yml") }
        switch result {
        case .success: #expect(loads, "smsync accepts \(text.debugDescription); PyYAML refuses it")
        case .failure(let error):
            #expect(!loads, "smsync refuses \(text.debugDescription): \(error)")
            #expect(error.line != nil)
        }
    }

    // MARK: Names

    @Test func condaNamesMatchCaseInsensitively() throws {
        let (file, _) = try Self.load("mixed-case.yml")
        #expect(file.dependencies(named: "pyyaml").map(\.raw) == ["PyYAML=5.1"])
        #expect(file.dependencies(named: "ipython", manager: .conda).map(\.raw) == ["IPython==7.6.1"])
        // conda does not equate `-` and `_`; only pip names are PEP 503-normalised.
        #expect(file.dependencies(named: "py_yaml").isEmpty)
        let edit = try file.settingVersion(of: "pyyaml", to: "6.0")
        #expect(edit.text == (try Self.replacing("PyYAML=5.1", with: "PyYAML=6.0", in: file.text)))
    }

    @Test func mixedCaseNamesMatchAnExportInDiffAndApply() throws {
        let (file, _) = try Self.load("mixed-case.yml")
        let local = [LocalKernel(kernel: "conda_mixed-case", path: "mixed-case.yml", file: file)]
        let release = UpstreamRelease(
            kind: .envExport, release: "r1",
            kernels: [
                UpstreamKernel(
                    kernel: "conda_mixed-case",
                    packages: [UpstreamPackage(name: "pyyaml", version: "6.0.1", manager: .conda)])
            ])
        let config = SourceConfig(kind: .envExport, url: "file:///x/", kernels: nil, name: "env-export")
        let report = DriftEngine(policy: Policy(update: [.major, .minor, .patch], ignore: [], downgrade: false))
            .diff(local: local, releases: [SourceRelease(config: config, release: release)])
        let change = try #require(report.kernels.first?.changes.first)
        #expect(change.package == "PyYAML")
        #expect(change.action == .update)
        let plan = try ApplyPlan(report: report, local: local, branchPrefix: "smsync/")
        #expect(plan.files.first?.edited == (try Self.replacing("PyYAML=5.1", with: "PyYAML=6.0.1", in: file.text)))
    }

    // MARK: Never a silent no-op

    @Test(arguments: [
        ("polars", "0.30", "`polars>0.20` already admits 0.30; left as is"),
        ("pydap", "4.0", "`pydap !=3.5.5` already admits 4.0; left as is"),
    ])
    func aSpecThatAlreadyAdmitsSaysSo(_ package: String, _ version: String, _ note: String) throws {
        let (file, _) = try Self.load("admits.yml")
        let edit = try file.settingVersion(of: package, to: version)
        #expect(edit.edits.isEmpty)
        #expect(edit.text == file.text)
        #expect(edit.unchanged == note)
    }

    @Test func diffReportsAnAdmittedVersionAsSameWithTheReason() throws {
        let (file, _) = try Self.load("admits.yml")
        let local = [LocalKernel(kernel: "conda_admits", path: "admits.yml", file: file)]
        let packages = [
            UpstreamPackage(name: "polars", version: "0.30", manager: .conda),
            UpstreamPackage(name: "pydap", version: "3.5.5", manager: .conda),
            UpstreamPackage(name: "ipywidgets", version: "9.1.0", manager: .conda),
            UpstreamPackage(name: "occt", version: "7.8", manager: .conda),
        ]
        let release = UpstreamRelease(
            kind: .envExport, release: "r1", kernels: [UpstreamKernel(kernel: "conda_admits", packages: packages)])
        let config = SourceConfig(kind: .envExport, url: "file:///x/", kernels: nil, name: "env-export")
        let report = DriftEngine(policy: Policy(update: [.major, .minor, .patch], ignore: [], downgrade: true))
            .diff(local: local, releases: [SourceRelease(config: config, release: release)])
        let changes = try #require(report.kernels.first?.changes)
        let byName = Dictionary(uniqueKeysWithValues: changes.map { ($0.package, $0) })
        #expect(byName["polars"]?.action == .same)
        #expect(byName["polars"]?.reason == "`polars>0.20` already admits 0.30; left as is")
        #expect(byName["pydap"]?.action == .blocked)
        #expect(byName["ipywidgets"]?.action == .update)
        #expect(byName["ipywidgets"]?.plannedSpec == "==9.*")
        #expect(byName["occt"]?.action == .ignored)
        #expect(byName["occt"]?.reason == "unpinned locally")
        #expect(report.jsonText.contains("\"action\": \"same\""))
        let plan = try ApplyPlan(report: report, local: local, branchPrefix: "smsync/")
        #expect(plan.files.flatMap(\.edits).map(\.package) == ["ipywidgets"])
    }

    // MARK: Wildcards

    @Test(arguments: [
        ("ipywidgets", "9.1.0", "ipywidgets==8.*", "ipywidgets==9.*"),
        ("ray-default", "2.10.0", "ray-default 2.9.*", "ray-default 2.10.*"),
    ])
    func wildcardsKeepTheirPrecision(_ package: String, _ version: String, _ old: String, _ new: String) throws {
        let (file, _) = try Self.load("admits.yml")
        let edit = try file.settingVersion(of: package, to: version)
        #expect(edit.text == (try Self.replacing(old, with: new, in: file.text)))
    }

    @Test func aStarIsUnpinned() throws {
        let (file, _) = try Self.load("admits.yml")
        let error = #expect(throws: EnvironmentFileError.self) { try file.settingVersion(of: "occt", to: "7.8") }
        #expect(error?.code == .unpinned)
        #expect(error?.description.contains("`occt *` is unpinned (any version)") == true)
    }

    // MARK: Anchors

    @Test func anAnchoredEntryMovesWithEveryAlias() throws {
        let (file, _) = try Self.load("anchors.yml")
        #expect(file.variables.first?.value == "python=3.11")
        let edit = try file.settingVersion(of: "python", to: "3.12")
        #expect(
            edit.text == (try Self.replacing("&python_pin python=3.11", with: "&python_pin python=3.12", in: file.text))
        )
        let reread = try EnvironmentFile(text: edit.text, path: "anchors.yml")
        #expect(reread.variables.first?.value == "python=3.12")
    }

    @Test func theProofStillRefusesAVariableThatIsNotAnAlias() throws {
        let (file, _) = try Self.load("anchors.yml")
        let python = try #require(file.dependencies(named: "python").first)
        let tampered = file.text.replacingOccurrences(of: "python=3.11", with: "python=3.12")
            .replacingOccurrences(of: "PYTHON_SPEC: *python_pin", with: "PYTHON_SPEC: python=3.13")
        let error = #expect(throws: EnvironmentFileError.self) {
            try file.proveOnlyChanged(tampered, edited: [(python, "=3.12")])
        }
        #expect(error?.code == .editProofFailed)
    }

    // MARK: The conformance check

    @Test func nextVersionBumpsTheLastNumber() {
        #expect(EnvironmentConformance.nextVersion(after: "1.7.0") == "1.7.1")
        #expect(EnvironmentConformance.nextVersion(after: "8") == "9")
        #expect(EnvironmentConformance.nextVersion(after: "1.0rc1") == "1.0rc2")
        #expect(EnvironmentConformance.nextVersion(after: "2019.9") == "2019.10")
    }

    @Test func everyFixtureEditChecksOut() throws {
        let folder = TestPaths.fixture("env")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yml") }
        var exact = 0
        var failed: [String] = []
        for name in names.sorted() {
            let result = EnvironmentConformance.check(
                bytes: try TestPaths.bytes(folder.appendingPathComponent(name)), path: name)
            if result.error != nil { failed.append(name) }
            exact += result.exact
            for entry in result.results {
                if case .inexact(let why) = entry.outcome { Issue.record("\(name):\(entry.line): \(why)") }
            }
        }
        #expect(failed.allSatisfy { $0.hasPrefix("bad-") }, "\(failed)")
        #expect(exact >= 40)
    }
}

@Suite("Environment files: conformance on the real corpus", .enabled(if: TestPaths.corpusExists))
struct CorpusConformanceTests {
    /// The examples repository's root `environment.yml` writes `IPython==7.6.1` and `Jinja2==3.0.2`.
    @Test func mixedCaseNamesInTheExamplesRepository() throws {
        let url = TestPaths.corpus.appendingPathComponent("examples-repo/root_environment.yml")
        let file = try EnvironmentFile(bytes: try TestPaths.bytes(url), path: url.path)
        let edit = try file.settingVersion(of: "ipython", to: "8.0.0")
        #expect(edit.edits.first?.package == "IPython")
        #expect(edit.text.contains("- IPython==8.0.0"))
        #expect(file.dependencies(named: "jinja2", manager: .conda).count == 1)
    }
}
