import Foundation
import Testing

@testable import SMSync

@Suite("Environment files: reading")
struct EnvironmentFileReadTests {
    func load(_ name: String) throws -> EnvironmentFile {
        let url = TestPaths.fixture("env/\(name)")
        return try EnvironmentFile(bytes: TestPaths.bytes(url), path: url.path)
    }

    @Test func readsQuotedSpacedAnchoredAndPipEntries() throws {
        let file = try load("quoting.yml")
        #expect(file.name == "quoting")
        #expect(file.channels == ["conda-forge", "defaults"])
        let conda = file.dependencies.filter { $0.manager == .conda }
        #expect(conda.map(\.name) == ["numpy", "pandas", "scipy", "matplotlib", "pyarrow", "xgboost", "tabbed"])
        #expect(conda.map(\.line) == [5, 6, 7, 8, 9, 10, 11])
        #expect(conda.map(\.quoting) == [.double, .single, .plain, .plain, .plain, .plain, .double])
        #expect(conda[0].versionText == "=1.19.5")
        #expect(conda[1].versionText == "==1.1.5")
        #expect(conda[2].versionText == "1.5.3")
        #expect(conda[3].versionText == ">=3.3.0")
        #expect(conda[4].channel == "conda-forge")
        #expect(conda[4].build == "py36h1234567_0")
        #expect(conda[5].versionText == ">=1.3,<2")
        #expect(conda[5].build == "*cpu*")
        let pip = file.dependencies.filter { $0.manager == .pip }
        #expect(pip.count == 7)
        #expect(pip[0].name == "Scikit_Learn")
        #expect(pip[0].matchName == "scikit-learn")
        #expect(pip[1].versionText == ">= 2.25")
        for other in pip[2...5] {
            guard case .other = other.requirement else {
                Issue.record("\(other.raw) should not be a requirement")
                continue
            }
        }
        #expect(pip[6].name == "sagemaker")
        #expect(pip[6].versionText == nil)
    }

    @Test func versionRangesPointAtTheVersionTextInTheFile() throws {
        for name in ["quoting.yml", "crlf.yml", "flow.yml", "no-final-newline.yml", "ranges.yml"] {
            let file = try load(name)
            let bytes = Array(file.text.utf8)
            for dependency in file.dependencies {
                guard let versionText = dependency.versionText else { continue }
                let range = try #require(dependency.versionRange, "\(name): \(dependency.raw)")
                #expect(String(decoding: bytes[range], as: UTF8.self) == versionText, "\(name): \(dependency.raw)")
            }
        }
    }

    @Test func readsCRLFPrefixAndBuilds() throws {
        let file = try load("crlf.yml")
        #expect(file.prefix == "/home/ec2-user/anaconda3/envs/crlf")
        #expect(file.dependencies.map(\.line) == [5, 6, 8])
        #expect(file.dependencies[0].build == "py36h2aa4a07_1")
        #expect(file.dependencies[0].versionText == "=1.19.5")
    }

    @Test func readsFlowStyleVariablesAndUnknownKeys() throws {
        let file = try load("flow.yml")
        #expect(file.dependencies.map(\.name) == ["python", "numpy", "torch", "sagemaker"])
        #expect(file.variables.map(\.key) == ["OMP_NUM_THREADS"])
        #expect(file.variables.map(\.value) == ["1"])
        #expect(file.otherKeys == ["extra_key"])
    }

    @Test func aliasesResolveToTheAnchoredEntry() throws {
        let file = try load("aliases.yml")
        #expect(file.dependencies.map(\.name) == ["numpy", "python"])
        #expect(file.otherKeys == ["x-pins"])
        #expect(file.dependencies[0].line == 3)
    }

    struct BadCase: CustomTestStringConvertible, Sendable {
        var file: String
        var code: EnvironmentFileError.Code
        var line: Int?
        var fragment: String
        var testDescription: String { file }
    }

    @Test(arguments: [
        BadCase(file: "bad-tab-indent.yml", code: .tabIndentation, line: 3, fragment: "tab"),
        BadCase(file: "bad-duplicate-key.yml", code: .duplicateKey, line: 4, fragment: "duplicate key `name`"),
        BadCase(file: "bad-dependencies-not-list.yml", code: .invalidStructure, line: 2, fragment: "must be a list"),
        BadCase(file: "bad-spec.yml", code: .invalidSpec, line: 4, fragment: "numpy>=1.0,<"),
    ])
    func rejectsWhatCondaRejects(_ bad: BadCase) throws {
        let error = #expect(throws: EnvironmentFileError.self) { try load(bad.file) }
        #expect(error?.code == bad.code)
        #expect(error?.line == bad.line)
        #expect(error?.description.contains(bad.fragment) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains(bad.file) == true)
    }

    @Test func rejectsBinaryAndNonUTF8() {
        #expect(throws: EnvironmentFileError.self) { try EnvironmentFile(bytes: [0x6E, 0x00, 0x0A], path: "x.yml") }
        #expect(throws: EnvironmentFileError.self) { try EnvironmentFile(bytes: [0x6E, 0xFF, 0x0A], path: "x.yml") }
        #expect(throws: EnvironmentFileError.self) { try EnvironmentFile(text: "", path: "x.yml") }
        #expect(throws: EnvironmentFileError.self) { try EnvironmentFile(text: "- a\n- b\n", path: "x.yml") }
        #expect(throws: EnvironmentFileError.self) {
            try EnvironmentFile(text: "dependencies:\n  - \n", path: "x.yml")
        }
    }
}
