import Foundation
import Testing

@testable import SMSync

/// One vector of `Fixtures/versions/pep440-satisfies-packaging-26.2.jsonl`: a spec, a version string and
/// packaging 26.2's `SpecifierSet(spec).contains(version, prereleases=…)` (made by
/// `scripts/pep440_satisfies_vectors.py` from the cases of packaging's `tests/test_specifiers.py`).
struct SatisfiesVector: Decodable, Sendable, CustomStringConvertible {
    var spec: String
    var version: String
    var prereleases: Bool?
    var expected: Bool

    var description: String {
        "\(spec) contains \(version.debugDescription) (prereleases: \(String(describing: prereleases)))"
    }

    static func load() throws -> [SatisfiesVector] {
        let url = UpstreamPaths.packageRoot.appending(path: "Fixtures/versions/pep440-satisfies-packaging-26.2.jsonl")
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map {
            try JSONDecoder().decode(SatisfiesVector.self, from: Data($0.utf8))
        }
    }
}

@Suite("PEP 440 contains on version strings, as packaging 26.2 answers the cases of its own test suite")
struct PEP440SatisfiesVectorTests {
    @Test func everyVectorAgrees() throws {
        let vectors = try SatisfiesVector.load()
        #expect(vectors.count > 450)
        var wrong: [String] = []
        for vector in vectors {
            let set = try PEP440SpecifierSet(vector.spec)
            if set.contains(vector.version, prereleases: vector.prereleases) != vector.expected {
                wrong.append(vector.description)
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) disagree: \(wrong.prefix(10))")
    }

    /// `===` compares the text as written, case-insensitively, never normalised.
    @Test(
        arguments: [
            ("===1.0", "1.0.0", false), ("===1.0", "01.0", false), ("===01.0", "01.0", true),
            ("===lolwat", "LOLWAT", true), ("===1.0.dev01", "1.0.dev01", true), ("===1.0.dev1", "1.0.dev01", false),
            ("===1.0-1", "1.0-1", true), ("===1.0.post1", "1.0-1", false), (">=1.0,===1.01", "1.01", true),
        ])
    func arbitraryEqualityOnText(spec: String, version: String, expected: Bool) throws {
        #expect(try PEP440SpecifierSet(spec).contains(version) == expected)
        #expect(
            try PEP440Specifier(spec.split(separator: ",").last.map(String.init) ?? spec).contains(version) == expected)
    }

    @Test func theVectorsCoverArbitraryEquality() throws {
        let arbitrary = try SatisfiesVector.load().filter { $0.spec.contains("===") }
        #expect(arbitrary.count >= 25)
        #expect(arbitrary.contains { $0.expected } && arbitrary.contains { !$0.expected })
    }
}
