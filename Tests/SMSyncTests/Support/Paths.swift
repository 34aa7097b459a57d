import Foundation

/// Locations of the package's fixtures and of the shared real-world corpus beside the checkout.
enum TestPaths {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let fixtures = packageRoot.appendingPathComponent("Fixtures")

    /// `../shared/corpus` relative to the package root; tests that read it run only when it is there.
    static let corpus = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static var corpusExists: Bool {
        FileManager.default.fileExists(atPath: corpus.appendingPathComponent("README.md").path)
    }

    static func fixture(_ relative: String) -> URL {
        fixtures.appendingPathComponent(relative)
    }

    static func text(_ url: URL) throws -> String {
        try String(contentsOf: url, encoding: .utf8)
    }

    static func bytes(_ url: URL) throws -> [UInt8] {
        Array(try Data(contentsOf: url))
    }
}
