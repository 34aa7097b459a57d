import Foundation
import Testing

@testable import SMSync

/// Every conda environment YAML of the shared real-world corpus reads, and every pinned dependency in each of them
/// can be moved to another version with only its version text changing.
@Suite("Corpus environment files", .enabled(if: TestPaths.corpusExists))
struct CorpusEnvironmentTests {
    static var files: [String] {
        let folders = ["qtangs-envs-2019", "qtangs-env-exports-2021", "examples-repo"]
        var result: [String] = []
        for folder in folders {
            let url = TestPaths.corpus.appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
                result.append("\(folder)/\(name)")
            }
        }
        return result
    }

    @Test func theCorpusHoldsEnvironmentFiles() {
        #expect(Self.files.count >= 15)
    }

    /// CPU-bound (each edit re-reads the whole file): it yields after each edit so that it never holds the
    /// cooperative pool's threads (as many as the machine has cores) away from the suites running beside it.
    @Test(arguments: files)
    func everyPinIsEditable(_ relative: String) async throws {
        let url = TestPaths.corpus.appendingPathComponent(relative)
        let original = try TestPaths.text(url)
        let file = try EnvironmentFile(text: original, path: relative)
        #expect(!file.dependencies.isEmpty)
        let bytes = Array(original.utf8)
        var edited = 0
        for dependency in file.dependencies {
            guard let name = dependency.name, let versionText = dependency.versionText,
                let range = dependency.versionRange
            else { continue }
            guard let clauses = ConstraintClause.split(versionText),
                let movable = clauses.first(where: { ["", "=", "==", "===", "~=", ">="].contains($0.op) })
            else { continue }
            let current = String(decoding: Array(versionText.utf8)[movable.versionRange], as: UTF8.self)
            let next = current + "1"
            let result = try file.settingVersion(of: name, to: next, manager: dependency.manager)
            let after = Array(result.text.utf8)
            // Everything before the version text is untouched, and so is everything after it and any build.
            let end = dependency.buildRange?.upperBound ?? range.upperBound
            #expect(after.prefix(range.lowerBound).elementsEqual(bytes.prefix(range.lowerBound)))
            #expect(after.suffix(bytes.count - end).elementsEqual(bytes.suffix(bytes.count - end)))
            #expect(result.edits.count == 1)
            edited += 1
            await Task.yield()
        }
        #expect(edited > 0)
    }
}
