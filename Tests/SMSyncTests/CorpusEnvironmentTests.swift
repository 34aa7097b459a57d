import Foundation
import Testing

@testable import SMSync

/// Every conda environment YAML of the shared real-world corpus reads, and every pinned dependency in each of them
/// can be moved to another version with only its version text changing (the conformance check, entry by entry).
/// `.serialized`: one file at a time, so this CPU-bound suite holds at most one of the cooperative pool's threads
/// and the loopback servers of the suites beside it keep answering within their deadlines.
@Suite("Corpus environment files", .enabled(if: TestPaths.corpusExists), .serialized)
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

    /// CPU-bound (each edit re-reads the whole file): it yields after each edit so that it never holds a
    /// cooperative-pool thread away from the suites running beside it for long.
    @Test(arguments: files)
    func everyPinIsEditable(_ relative: String) async throws {
        let url = TestPaths.corpus.appendingPathComponent(relative)
        let original = try TestPaths.text(url)
        let file = try EnvironmentFile(text: original, path: relative)
        #expect(!file.dependencies.isEmpty)
        var edited = 0
        var seen: Set<Int> = []
        for dependency in file.dependencies {
            if let start = dependency.nodeStart, !seen.insert(start).inserted { continue }
            // Moved to a synthetic next version and checked without trusting the editor: the bytes before and
            // after the version text (and a dropped build) are the original ones, and the entry reads back moved.
            guard let entry = EnvironmentConformance.checkEntry(dependency, in: file) else { continue }
            #expect(entry.outcome == .exact, "\(relative):\(dependency.line): \(entry.outcome)")
            edited += 1
            await Task.yield()
        }
        #expect(edited > 0)
    }
}
