import Foundation
import SMSync
import Testing

/// Paths to the package's fixtures and to the shared corpus next to the package.
enum UpstreamPaths {
    /// The package root, three levels above this file (`Tests/SMSyncTests/Upstream/…`).
    static let packageRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appending(path: "Fixtures/upstream")
    static let corpus = packageRoot.appending(path: "../shared/corpus").standardizedFileURL

    static func fixture(_ relative: String) -> String { fixtures.appending(path: relative).path }
    static func corpus(_ relative: String) -> String { corpus.appending(path: relative).path }

    static func fixtureText(_ relative: String) throws -> String {
        try String(contentsOfFile: fixture(relative), encoding: .utf8)
    }

    static func corpusText(_ relative: String) throws -> String {
        try String(contentsOfFile: corpus(relative), encoding: .utf8)
    }
}

/// Whether `../shared/corpus` is present; corpus tests are skipped without it.
let corpusExists = FileManager.default.fileExists(atPath: UpstreamPaths.corpus.path)

/// Runs `body`, expects an ``UpstreamError`` with this code and source, and returns it for further checks.
@discardableResult
func expectUpstreamError(
    _ code: UpstreamError.Code, source: UpstreamSourceKind, line: Int? = nil, messageContains fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> UpstreamError? {
    let error = #expect(throws: UpstreamError.self, sourceLocation: sourceLocation) { try body() }
    guard let error else { return nil }
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    #expect(error.source == source, "\(error)", sourceLocation: sourceLocation)
    if let line { #expect(error.line == line, "\(error)", sourceLocation: sourceLocation) }
    for fragment in fragments {
        #expect(
            error.description.contains(fragment), "\(error) should mention \(fragment)", sourceLocation: sourceLocation)
    }
    return error
}

extension UpstreamRelease {
    /// The version of `package` in `kernel`, if listed.
    func version(of package: String, in kernel: String) -> String? {
        self.kernel(named: kernel)?.packages.first { $0.name == package }?.version
    }
}
